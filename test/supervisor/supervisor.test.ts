// The supervisor's promises, checked on real processes: ordering of lifecycle events, pids, ports, log lines.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isAlive, Project, restartSentinel, until, sleep, type Event } from '../helpers/harness.js';

const versions = (events: Event[]) => events.map((e) => e.version);
const index = (events: Event[], match: (e: Event) => boolean) => events.findIndex(match);

describe('restarts', () => {
  it('runs every old child\'s cleanups to the end before the next child starts, across 10 edits, with no EADDRINUSE', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry], { env: { PORT: String(port), CLEANUP_MS: '300' } });
    await devsup.ready();
    await project.waitFor('ready');
    for (let version = 2; version <= 11; version++) {
      project.setVersion(version);
      await until(`version ${version} ready`, () => project.named('ready').some((e) => e.version === version));
    }
    const events = project.events();
    const starts = events.filter((e) => e.event === 'start');
    expect(versions(starts)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    for (let i = 1; i < starts.length; i++) {
      const old = starts[i - 1]!.pid;
      const ended = index(events, (e) => e.pid === old && e.event === 'cleanup-end');
      expect(ended, `cleanup of child #${i} finished`).toBeGreaterThan(-1);
      expect(ended, `child #${i + 1} started after child #${i}'s cleanup`).toBeLessThan(events.indexOf(starts[i]!));
      // Exactly one shutdown request per teardown.
      expect(events.filter((e) => e.pid === old && e.event === 'message' && e.type === 'shutdown')).toHaveLength(1);
      expect(isAlive(old)).toBe(false);
    }
    expect(project.named('listen-error')).toEqual([]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('11');
    expect(devsup.count(/cleanups: http server \d+ ms, db pool \d+ ms/)).toBe(10);
  });

  it('turns 50 writes within ~100 ms into exactly one restart', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry, '--events', project.lifecycleFile], { env: { PORT: String(port), CLEANUP_MS: '50' } });
    await devsup.ready();
    await project.waitFor('ready');
    for (let version = 2; version <= 51; version++) {
      project.setVersion(version);
      await sleep(2);
    }
    await until('the last version to be ready', () => project.named('ready').some((e) => e.version === 51));
    await devsup.waitForLine(/restart #1: change in version\.mjs · /);
    expect(versions(project.named('start'))).toEqual([1, 51]);
    expect(devsup.count(/→ restarting/)).toBe(1);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('51');
    // A second restart for the burst, if there were one, would come before the sentinel's or be named in its trigger.
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(versions(project.named('start'))).toEqual([1, 51, 51]);
    expect(devsup.matching(/→ restarting/)).toEqual(['[devsup] change in version.mjs → restarting', '[devsup] change in .env → restarting']);
    expect(devsup.count(/restart #2: change in \.env · /)).toBe(1);
  });

  it('merges a write during a slow teardown into it: no second request to the old child, the final version served', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry, '--stop-timeout', '10000', '--events', project.lifecycleFile], {
      env: { PORT: String(port), CLEANUP_MS: '1500' },
    });
    await devsup.ready();
    const [first] = await project.waitFor('ready');
    project.setVersion(2);
    await project.waitFor('cleanup-start');
    project.setVersion(3);
    await until('version 3 ready', () => project.named('ready').some((e) => e.version === 3));
    await devsup.waitForLine(/restart #1: change in version\.mjs · /);
    expect(versions(project.named('start'))).toEqual([1, 3]);
    const messages = project.named('message').filter((e) => e.pid === first!.pid);
    expect(messages.map((e) => e.type)).toEqual(['shutdown']);
    expect(devsup.count(/→ restarting/)).toBe(1);
    expect(devsup.count(/SIGTERM|SIGKILL/)).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('3');
    // A second restart for the merged write, if there were one, would come before the sentinel's or be named in its trigger.
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(versions(project.named('start'))).toEqual([1, 3, 3]);
    expect(project.named('message').filter((e) => e.pid === first!.pid).map((e) => e.type)).toEqual(['shutdown']);
    expect(devsup.matching(/→ restarting/)).toEqual(['[devsup] change in version.mjs → restarting', '[devsup] change in .env → restarting']);
    expect(devsup.count(/restart #2: change in \.env · /)).toBe(1);
    expect(devsup.count(/SIGTERM|SIGKILL/)).toBe(0);
  });

  it('restarts exactly once more when a write lands after the spawn and before ready', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry, '--ready-timeout', '30000', '--events', project.lifecycleFile], {
      env: { PORT: String(port), CLEANUP_MS: '0', READY_DELAY: '1500' },
    });
    await devsup.ready();
    await project.waitFor('ready');
    project.setVersion(2);
    await until('version 2 spawned', () => project.named('start').some((e) => e.version === 2));
    expect(project.named('ready').some((e) => e.version === 2)).toBe(false);
    project.setVersion(3);
    await until('version 3 ready', () => project.named('ready').some((e) => e.version === 3), 30_000);
    await devsup.waitForLine(/restart #2: change in version\.mjs · /);
    const events = project.events();
    expect(versions(events.filter((e) => e.event === 'start'))).toEqual([1, 2, 3]);
    // Version 2 was allowed to finish starting before it was asked to stop.
    const v2 = events.find((e) => e.event === 'start' && e.version === 2)!;
    expect(index(events, (e) => e.pid === v2.pid && e.event === 'ready')).toBeLessThan(
      index(events, (e) => e.pid === v2.pid && e.event === 'message' && e.type === 'shutdown'),
    );
    expect(devsup.count(/while the app starts → restarting once it is ready/)).toBe(1);
    // Once more, and no more: a third restart for the writes, if there were one, would come before the sentinel's or
    // be named in its trigger.
    expect(await restartSentinel(project, devsup, 3)).toEqual(['.env']);
    expect(versions(project.named('start'))).toEqual([1, 2, 3, 3]);
    expect(devsup.matching(/restart #\d+: /).map((l) => l.split(' · ')[0])).toEqual([
      '[devsup] restart #1: change in version.mjs',
      '[devsup] restart #2: change in version.mjs',
      '[devsup] restart #3: change in .env',
    ]);
    expect(devsup.count(/while the app starts → restarting once it is ready/)).toBe(1);
  });
});

describe('the shutdown ladder', () => {
  it('ends a child that ignores shutdown and SIGTERM within stopTimeout + killGrace + 500 ms, naming the hanging cleanup', async () => {
    const project = new Project('ignores-shutdown.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '1000', '--kill-grace', '1000']);
    await devsup.ready();
    const [first] = await project.waitFor('start');
    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    const asked = Date.now();
    await until('the old child to be gone', () => !isAlive(first!.pid), 15_000);
    expect(Date.now() - asked).toBeLessThan(1000 + 1000 + 500);
    await project.waitFor('sigterm-ignored');
    const [, second] = await project.waitFor('start', 2);
    expect(second!.version).toBe(2);
    const lines = devsup.lines();
    const timeout = lines.findIndex((l) => /stop timeout \(1000 ms\): cleanup "stuck" still running after (\d+ ms|\d(\.\d)? s) → SIGTERM/.test(l));
    const kill = lines.findIndex((l) => /still running 1000 ms after SIGTERM .* → SIGKILL to its process tree/.test(l));
    expect(timeout).toBeGreaterThan(-1);
    expect(kill).toBeGreaterThan(timeout);
  });

  it('tears down an app without devsup/child through its own SIGTERM handler', async () => {
    const project = new Project('plain-sigterm.mjs');
    const port = await freePort();
    const devsup = project.run([project.entry, '--verbose'], { env: { PORT: String(port) } });
    await devsup.ready();
    await project.waitFor('listening');
    project.setVersion(2);
    const [, second] = await project.waitFor('start', 2);
    const events = project.events();
    const first = events[0]!;
    expect(index(events, (e) => e.pid === first.pid && e.event === 'cleanup-end')).toBeLessThan(
      index(events, (e) => e.pid === second!.pid && e.event === 'start'),
    );
    await devsup.waitForLine(/app exited \(exit 0\)/);
    expect(devsup.count(/SIGKILL/)).toBe(0);
    await until('version 2 listening', () => project.named('listening').some((e) => e.version === 2));
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('2');
    expect(devsup.stdout).toContain(`plain app listening on ${port}`);
  });

  it('tries every cleanup, last registered first, through a throw and a timeout, and reports each', async () => {
    const project = new Project('cleanup-order.ts');
    const devsup = project.run([project.entry]);
    await devsup.ready();
    await project.waitFor('start');
    project.setVersion(2);
    await project.waitFor('start', 2);
    expect(project.named('cleanup').map((e) => e.name)).toEqual(['third', 'second', 'first']);
    await devsup.waitForLine(/cleanups: third failed after \d+ ms, second timed-out after \d+ ms, first \d+ ms/);
    expect(devsup.lines()).toContainEqual(expect.stringMatching(/cleanup "third" failed after \d+ ms: Error: third cleanup broke/));
    expect(devsup.lines()).toContainEqual(expect.stringMatching(/cleanup "second" timed out after (19\d|2\d\d|[3-9]\d\d) ms/));
  });
});

describe('process trees', () => {
  it('leaves no grandchild behind on restart (killed before the next start) or on Ctrl-C', async () => {
    const project = new Project('spawns-grandchild.ts');
    const devsup = project.run([project.entry, '--verbose'], { detached: true });
    await devsup.ready();
    const [first] = await project.waitFor('start');
    const grandchild = first!.grandchild as number;
    expect(isAlive(grandchild)).toBe(true);
    project.setVersion(2);
    const [, second] = await project.waitFor('start', 2);
    expect(isAlive(grandchild)).toBe(false);
    const killedAt = await devsup.waitForLine(new RegExp(`killed 1 leftover process of the old app: pid ${grandchild} \\(.*devsup-test-grandchild`));
    const lines = devsup.lines();
    expect(lines.indexOf(killedAt)).toBeLessThan(lines.findIndex((l) => l.startsWith('[devsup] started ') && l.includes(`(pid ${second!.pid}`)));

    process.kill(-devsup.pid, 'SIGINT'); // the whole foreground group, as a terminal's Ctrl-C does
    const exit = await devsup.exited;
    expect(exit.code).toBe(0);
    expect(isAlive(second!.pid)).toBe(false);
    expect(isAlive(second!.grandchild as number)).toBe(false);
  });
});

describe('Ctrl-C and supervisor death', () => {
  it('Ctrl-C: the cleanups complete, devsup exits with the app\'s code, nothing is left', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry], { env: { PORT: String(port), CLEANUP_MS: '300' }, detached: true });
    await devsup.ready();
    const [app] = await project.waitFor('ready');
    process.kill(-devsup.pid, 'SIGINT');
    const exit = await devsup.exited;
    expect(exit, devsup.stderr).toEqual({ code: 0, signal: null });
    expect(project.named('cleanup-end').map((e) => e.pid)).toEqual([app!.pid]);
    expect(isAlive(app!.pid)).toBe(false);
    expect(devsup.count(/cleanups: http server \d+ ms, db pool \d+ ms/)).toBe(1);
  });

  it('a Ctrl-C that reaches the app after devsup\'s own request does not cut its cleanups short', async () => {
    // The terminal sends SIGINT to the app and to devsup at once; devsup's IPC request can be read first.
    const project = new Project('slow-cleanup.ts');
    const devsup = project.run([project.entry, '--verbose'], { env: { PORT: String(await freePort()), CLEANUP_MS: '800' } });
    const [app] = await project.waitFor('ready');
    project.setVersion(2);
    await project.waitFor('cleanup-start');
    process.kill(app!.pid, 'SIGINT');
    await project.waitFor('cleanup-end');
    await devsup.waitForLine(/app exited \(exit 0\)/);
    await project.waitFor('start', 2);
  });

  it('Ctrl-C: devsup exits with the app\'s own code when its cleanups failed', async () => {
    const project = new Project('cleanup-order.ts');
    const devsup = project.run([project.entry]);
    await devsup.ready();
    const [app] = await project.waitFor('start');
    devsup.process.kill('SIGTERM');
    expect(await devsup.exited).toEqual({ code: 1, signal: null });
    expect(project.named('cleanup')).toHaveLength(3);
    expect(isAlive(app!.pid)).toBe(false);
  });

  it('a second Ctrl-C forces: the process tree is SIGKILLed at once', async () => {
    const project = new Project('ignores-shutdown.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '30000']);
    await devsup.ready();
    const [app] = await project.waitFor('start');
    devsup.process.kill('SIGINT');
    await project.waitFor('cleanup-start');
    devsup.process.kill('SIGINT');
    const exit = await devsup.exited;
    expect(exit.code).toBe(137);
    expect(isAlive(app!.pid)).toBe(false);
    await devsup.waitForLine(/forced stop: SIGKILL to the app's process tree \(cleanup "stuck" still running/);
  });

  it('devsup killed with SIGKILL: the app notices, runs its cleanups and exits within its deadline', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const devsup = project.run([project.entry, '--stop-timeout', '3000'], { env: { PORT: String(port), CLEANUP_MS: '300' } });
    await devsup.ready();
    const [app] = await project.waitFor('ready');
    devsup.process.kill('SIGKILL');
    await devsup.exited;
    const killedAt = Date.now();
    await project.waitFor('cleanup-end');
    await until('the orphaned app to exit', () => !isAlive(app!.pid), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(3000 + 2000);
  });
});

describe('devsup killed with SIGKILL, app without devsup/child', () => {
  it('the app still gets SIGTERM (from devsup\'s preload) and runs its own handler', async () => {
    const project = new Project('plain-sigterm.mjs');
    const port = await freePort();
    const devsup = project.run([project.entry], { env: { PORT: String(port) } });
    const [app] = await project.waitFor('listening');
    devsup.process.kill('SIGKILL');
    await devsup.exited;
    await project.waitFor('cleanup-end');
    await until('the orphaned app to exit', () => !isAlive(app!.pid), 10_000);
  });
});

describe('apps that end on their own', () => {
  it('a crash at startup leaves devsup waiting; the fix starts the app', async () => {
    const project = new Project('crashes.mjs');
    const devsup = project.run([project.entry], { env: { THROW: '1' } });
    await devsup.waitForLine(/app crashed while starting \(exit 1\) — waiting for changes/);
    expect(devsup.stderr).toContain('boom at startup');
    project.write('crashes.mjs', "import { record } from './record.mjs';\nrecord('start', { fixed: true });\nsetInterval(() => {}, 1000);\n");
    await until('the fixed app to start', () => project.named('start').some((e) => e.fixed === true));
    expect(devsup.process.exitCode).toBe(null);
  });

  it('a syntax error in the app is a crash while starting: devsup says so and waits for the fix', async () => {
    const project = new Project('crashes.mjs');
    project.write('crashes.mjs', "import { record } from './record.mjs';\nconst = 1;\n");
    const devsup = project.run([project.entry]);
    await devsup.waitForLine(/app crashed while starting \(exit 1\) — waiting for changes/);
    expect(devsup.stderr).toContain('SyntaxError');
    project.write('crashes.mjs', "import { record } from './record.mjs';\nrecord('start', { fixed: true });\nsetInterval(() => {}, 1000);\n");
    await until('the fixed app to start', () => project.named('start').some((e) => e.fixed === true));
    await devsup.waitForLine(/change in crashes\.mjs → starting/);
  });

  it('a CommonJS script that finishes exits on its own, and devsup says so', async () => {
    const project = new Project('exits-cleanly.cjs');
    const devsup = project.run([project.entry]);
    await devsup.waitForLine(/app exited \(0\) — waiting for changes/);
    expect(project.named('start')).toHaveLength(1);
    expect(devsup.process.exitCode).toBe(null);
  });

  it('runs a CommonJS TypeScript entry whose path has a space and non-ASCII letters', async () => {
    const project = new Project('commonjs-app.cts', 'sérvér app.cts');
    const devsup = project.run([project.entry]);
    await devsup.waitForLine(/ready in \d+ ms/);
    expect(project.named('start')[0]!.file).toMatch(/sérvér app\.cts$/);
    // The entry itself is watched, under its unusual name.
    project.write(project.entry, `${readFileSync(join(project.dir, project.entry), 'utf8')}// edited\n`);
    await project.waitFor('start', 2);
    await devsup.waitForLine(/cleanups: timer \d+ ms/);
  });

  it('--log-format json writes one JSON object a line, with the same messages', async () => {
    const project = new Project('cleanup-order.ts');
    const devsup = project.run([project.entry, '--log-format', 'json']);
    await devsup.waitForLine(/"msg":"ready in \d+ ms"/);
    const records = devsup.lines().map((line) => JSON.parse(line) as { level: number; msg: string; name: string });
    expect(records[0]).toMatchObject({ level: 30, name: 'devsup', msg: expect.stringMatching(/^started cleanup-order\.ts \(pid \d+\)$/) });
  });

  it('rs + Enter restarts the app', async () => {
    const project = new Project('cleanup-order.ts');
    const devsup = project.run([project.entry]);
    await devsup.ready();
    await project.waitFor('start');
    await devsup.waitForLine(/watching/);
    devsup.process.stdin!.write('rs\n');
    await project.waitFor('start', 2);
    await devsup.waitForLine(/restart requested → restarting/);
  });
});
