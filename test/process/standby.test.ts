// The standby: the next app's process, booted while the old one tears down. The app cannot tell it from a direct
// start, no app code runs before the old tree is gone, a stale or dead standby is never used, and none outlives devsup.
import { describe, expect, it } from 'vitest';
import { isAlive, kill, Project, until, type Event } from '../helpers/harness.js';

const identities = (project: Project) => project.named('identity');
// What differs between any two runs, direct or not: the pid, the time, the run's own marker (checked apart).
const comparable = ({ pid: _pid, t: _t, version: _version, ...rest }: Event) => rest;

describe('a start from the standby', () => {
  it.each(['identity.mjs', 'identity.cjs'])('is indistinguishable from a direct start to the app (%s)', async (fixture) => {
    const project = new Project(fixture);
    const devsup = project.run([project.entry, '--verbose', '--', '--flag', 'two words']);
    await project.waitFor('identity');
    await devsup.waitForLine(/watching/);
    devsup.process.stdin!.write('rs\n');
    await devsup.waitForLine(/started .* from the standby/);
    const [direct, standby] = await project.waitFor('identity', 2);
    expect(direct!.marked).toBe(true);
    expect(standby!.marked).toBe(true);
    expect(comparable(standby!)).toEqual(comparable(direct!));
    expect(direct!.argv).toEqual([process.execPath, `${project.dir}/${fixture}`, '--flag', 'two words']);
    if (fixture.endsWith('.cjs')) expect(standby!.main).toBe(true);
    else {
      expect(standby!.url).toBe(`file://${project.dir}/${fixture}`);
      // import.meta.main (Node 22.18/24.2 on): Module.runMain() runs the entry as the main module, as `node entry` does.
      if (direct!.main !== undefined) expect([direct!.main, standby!.main]).toEqual([true, true]);
    }
    expect(Object.keys(standby!.env as object)).not.toContain('DEVSUP_STANDBY');
  });

  it('runs no app code before the old app has exited', async () => {
    const project = new Project('identity.mjs');
    const devsup = project.run([project.entry, '--verbose'], { env: { CLEANUP_MS: '400' } });
    await project.waitFor('identity');
    await devsup.waitForLine(/watching/);
    for (let version = 2; version <= 4; version++) {
      project.setVersion(version);
      await until(`version ${version}`, () => identities(project).some((e) => e.version === version));
    }
    expect(devsup.count(/from the standby/)).toBe(3);
    const events = project.events();
    for (let version = 2; version <= 4; version++) {
      const started = events.findIndex((e) => e.event === 'identity' && e.version === version);
      const oldExit = events.findIndex((e) => e.event === 'exit' && e.version === version - 1);
      expect(oldExit, `version ${version - 1} exited`).toBeGreaterThan(-1);
      expect(oldExit, `version ${version}'s code ran after version ${version - 1} exited`).toBeLessThan(started);
    }
  });

  it('is discarded when the env file changed after it booted: the new app gets the new value', async () => {
    const project = new Project('identity.mjs');
    project.write('supervisor.config.mjs', "export default { standby: 'on-change' };\n");
    project.write('.env', 'FROM_FILE=one\n');
    const devsup = project.run([project.entry, '--verbose', '--dotenv', '.env'], { env: { CLEANUP_MS: '600' } });
    await project.waitFor('identity');
    await devsup.waitForLine(/watching/);
    project.setVersion(2);
    await devsup.waitForLine(/standby booting/);
    project.write('.env', 'FROM_FILE=two\n');
    await until('version 2', () => identities(project).find((e) => e.version === 2));
    await devsup.waitForLine(/standby discarded: the env file, package.json or tsconfig.json changed/);
    const second = identities(project).find((e) => e.version === 2)!;
    expect((second.env as Record<string, string>).FROM_FILE).toBe('two');
    expect(devsup.count(/from the standby/)).toBe(0);
  });

  it('that died is replaced by a direct start, said only at debug level', async () => {
    const project = new Project('identity.mjs');
    project.write('supervisor.config.mjs', "export default { standby: 'on-change' };\n"); // booted at the change, killed in the teardown
    const devsup = project.run([project.entry, '--verbose'], { env: { CLEANUP_MS: '600' } });
    await project.waitFor('identity');
    await devsup.waitForLine(/watching/);
    project.setVersion(2);
    const line = await devsup.waitForLine(/standby booting \(pid \d+\)/);
    const pid = Number(/pid (\d+)/.exec(line)![1]);
    kill(pid);
    await until('version 2', () => identities(project).find((e) => e.version === 2));
    expect(devsup.count(/from the standby/)).toBe(0);
    expect(devsup.count(/\[devsup\] (?!.*standby).*error/i)).toBe(0);
  });

  it('warm (the default): booted once the app is ready, so that a quick restart skips the boot; a dead one is booted again at the change', async () => {
    const project = new Project('identity.mjs');
    const devsup = project.run([project.entry, '--verbose']);
    await project.waitFor('identity');
    const line = await devsup.waitForLine(/standby booting \(pid \d+\)/);
    const warm = Number(/pid (\d+)/.exec(line)![1]);
    const readyAt = devsup.lines().findIndex((l) => /ready in \d+ ms/.test(l));
    expect(devsup.lines().indexOf(line)).toBeGreaterThan(readyAt);
    await devsup.waitForLine(/watching/);
    project.setVersion(2);
    await until('version 2', () => identities(project).find((e) => e.version === 2));
    expect(identities(project).find((e) => e.version === 2)!.pid).toBe(warm);
    // The next one is booted once version 2 is ready; killed, it is booted again when the restart begins.
    const next = Number(/pid (\d+)/.exec(await devsup.waitForLine(/standby booting \(pid \d+\)/, 2))![1]);
    kill(next);
    await until('the killed standby gone', () => !isAlive(next));
    project.setVersion(3);
    await until('version 3', () => identities(project).find((e) => e.version === 3));
    expect(devsup.count(/standby booting/)).toBeGreaterThanOrEqual(3);
    expect(identities(project).find((e) => e.version === 3)!.pid).not.toBe(next);
  });

  it('is not used for an app whose node flags preload its own code (-r, --import): that code would run early', async () => {
    const project = new Project('identity.mjs');
    project.write('preload.cjs', "require('node:fs').appendFileSync(process.env.EVENTS, JSON.stringify({ event: 'preload', pid: process.pid }) + '\\n');\n");
    const devsup = project.run(['-r', './preload.cjs', project.entry, '--verbose']);
    await project.waitFor('identity');
    await devsup.waitForLine(/watching/);
    project.setVersion(2);
    await until('version 2', () => identities(project).find((e) => e.version === 2));
    await devsup.waitForLine(/restart #1/);
    expect(devsup.count(/standby booting|from the standby/)).toBe(0);
    // The preload ran once per start, in the app's own process, never beside the running app.
    expect(project.named('preload').map((e) => e.pid)).toEqual(identities(project).map((e) => e.pid));
  });

  it('does not outlive devsup: Ctrl-C during a teardown, and a SIGKILLed devsup', async () => {
    for (const how of ['SIGINT', 'SIGKILL'] as const) {
      const project = new Project('identity.mjs');
      const devsup = project.run([project.entry, '--verbose'], { env: { CLEANUP_MS: '1500' }, detached: true });
      await project.waitFor('identity');
      await devsup.waitForLine(/watching/);
      project.setVersion(2);
      const line = await devsup.waitForLine(/standby booting \(pid \d+\)/);
      const pid = Number(/pid (\d+)/.exec(line)![1]);
      expect(isAlive(pid)).toBe(true);
      process.kill(how === 'SIGINT' ? -devsup.pid : devsup.pid, how);
      await devsup.exited;
      await until(`the standby gone after devsup's ${how}`, () => !isAlive(pid), 10_000);
    }
  });
});
