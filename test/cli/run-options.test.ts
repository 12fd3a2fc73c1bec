// The options model end to end: a TypeScript config file, nodemon.json, --exec, onCrash, envFile — in real runs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, Project, until } from '../helpers/harness.js';

describe('supervisor.config.ts', () => {
  it('is found without flags, and its entry, stopTimeout and ignore take effect', async () => {
    const project = new Project('ignores-shutdown.ts');
    project.write('supervisor.config.ts', [
      "import { defineConfig } from 'devsup';",
      "const stopTimeout: number = 700;",
      "export default defineConfig({ entry: 'ignores-shutdown.ts', stopTimeout, killGrace: 300, ignore: ['scratch'] });",
      '',
    ].join('\n'));
    mkdirSync(join(project.dir, 'scratch'));
    const devsup = project.run(['--events', project.lifecycleFile]);
    await devsup.ready();
    project.write('scratch/notes.mjs', 'export default 1;\n');
    // scratch/ is ignored (and not watched anyway): the edit is never seen, so version.mjs is the sentinel. Had the
    // edit been taken for a change, it would be a restart of its own or named in this one's trigger.
    expect(devsup.count(/restarting/)).toBe(0);
    project.setVersion(2);
    await devsup.waitForLine(/stop timeout \(700 ms\): cleanup "stuck" still running/);
    await devsup.waitForLine(/still running 300 ms after SIGTERM/);
    await project.waitFor('start', 2);
    await devsup.waitForLine(/restart #1: /);
    expect(devsup.matching(/restarting/)).toEqual(['[devsup] change in version.mjs → restarting']);
    expect(devsup.count(/restart #1: change in version\.mjs · /)).toBe(1);
    expect(project.lifecycle('changed').flatMap((e) => e.paths as string[])).not.toContain('scratch/notes.mjs');
  });
});

describe('nodemon.json', () => {
  it('is honoured when there is no devsup config, and says what it did not take over', async () => {
    const project = new Project('cleanup-order.ts');
    project.write('nodemon.json', JSON.stringify({ ext: 'mjs', ignore: ['scratch/*'], delay: '100', execMap: { py: 'python' } }));
    mkdirSync(join(project.dir, 'scratch'));
    const devsup = project.run([project.entry, '--events', project.lifecycleFile]);
    await devsup.ready();
    await devsup.waitForLine(/using nodemon\.json \(no supervisor\.config\.ts found\); delay "100" = 100 ms; not taken over: execMap/);
    project.write('notes.txt', 'not a .mjs file\n');
    project.write('scratch/tmp.mjs', 'export default 1;\n');
    // notes.txt is in the watched root: seen, and restarts nothing (ext). scratch/ is never seen at all.
    await project.waitForIgnored('notes.txt', 'not a .mjs file (ext)');
    expect(devsup.count(/restarting/)).toBe(0);
    // The sentinel: had scratch/tmp.mjs been taken for a change, it would be a restart of its own or named in this one's trigger.
    project.setVersion(2);
    await project.waitFor('start', 2);
    expect(devsup.count(/change in version\.mjs → restarting/)).toBe(1);
    await devsup.waitForLine(/restart #1: /);
    expect(devsup.matching(/restarting/)).toEqual(['[devsup] change in version.mjs → restarting']);
    expect(devsup.count(/restart #1: change in version\.mjs · /)).toBe(1);
    expect(project.lifecycle('changed').flatMap((e) => e.paths as string[])).not.toContain('scratch/tmp.mjs');
  });
});

describe('--exec: apps that are not Node', () => {
  it('tears a shell script down with its own TERM trap, before the next one starts', async () => {
    const project = new Project('trap-term.sh');
    const devsup = project.run([], { args: ['exec', '--', 'sh', 'trap-term.sh'] });
    await devsup.waitForLine(/watching/);
    const [first] = await project.waitFor('start');
    project.setVersion(2);
    const [, second] = await project.waitFor('start', 2);
    const events = project.events();
    const term = events.findIndex((e) => e.event === 'term' && e.pid === first!.pid);
    expect(term).toBeGreaterThan(-1);
    expect(term).toBeLessThan(events.findIndex((e) => e.event === 'start' && e.pid === second!.pid));
    expect(isAlive(first!.pid)).toBe(false);
    expect(devsup.count(/SIGKILL|leftover/)).toBe(0);
    expect(devsup.lines()[0]).toMatch(/^\[devsup\] started sh trap-term\.sh \(pid \d+\)$/);
  });

  it('says so in one line when the command does not exist, and keeps running', async () => {
    const project = new Project('crashes.mjs');
    const devsup = project.run([], { args: ['run', '--exec', 'nosuchcmd-devsup'] });
    await devsup.waitForLine(/could not start nosuchcmd-devsup: command not found \(check --exec and the PATH\)/);
    await devsup.waitForLine(/app crashed while starting \(exit 127\) — waiting for changes/);
    expect(devsup.process.exitCode).toBe(null);
  });
});

describe('onCrash', () => {
  it('restart: starts the app again with a growing backoff', async () => {
    const project = new Project('crashes.mjs');
    const devsup = project.run([project.entry, '--on-crash', 'restart']);
    await project.waitFor('start', 3);
    await devsup.waitForLine(/app crashed while starting \(exit 1\) — restarting in 100 ms \(onCrash: restart, attempt 1\)/);
    await devsup.waitForLine(/app crashed while starting \(exit 1\) — restarting in 200 ms \(onCrash: restart, attempt 2\)/);
  });

  it('exit: devsup ends with the app\'s exit code', async () => {
    const project = new Project('crashes.mjs');
    const devsup = project.run([project.entry, '--on-crash', 'exit'], { env: { EXIT_CODE: '3' } });
    expect(await devsup.exited).toEqual({ code: 3, signal: null });
    await devsup.waitForLine(/app crashed while starting \(exit 3\) — exiting \(onCrash: exit\)/);
  });
});

describe('envFile', () => {
  it('is read before each start: the environment wins over it, and env over both', async () => {
    const project = new Project('env-echo.mjs');
    project.write('.env', 'FROM_FILE=file\nBOTH=file\nSHELL_SET=file\n');
    project.write('supervisor.config.mjs', "export default { entry: 'env-echo.mjs', envFile: '.env', env: { BOTH: 'config' } };\n");
    const devsup = project.run([], { env: { SHELL_SET: 'shell' } });
    const [first] = await project.waitFor('start');
    expect(first).toMatchObject({ FROM_FILE: 'file', BOTH: 'config', SHELL_SET: 'shell' });
    await devsup.waitForLine(/watching/);
    project.write('.env', 'FROM_FILE=edited\n');
    await until('a restart with the edited .env', () => project.named('start').find((e) => e.FROM_FILE === 'edited'));
  });
});
