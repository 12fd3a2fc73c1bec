// No `ps` on the PATH (a slim image), and none needed on Linux (issue 16, item 1): an app that ignores shutdown and
// SIGTERM, with a grandchild, is SIGKILLed with its tree and devsup lives on.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, Project, until } from '../helpers/harness.js';
import { marker, ofRun } from './procs.js';

const STOP_TIMEOUT = 1000;
const KILL_GRACE = 500;
const LADDER = ['--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE)];


/** A directory holding only `node` (and whatever else is given): the PATH of a slim image. */
function binDir(more: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'devsup-bin-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  for (const [name, script] of Object.entries(more)) {
    writeFileSync(join(dir, name), script);
    chmodSync(join(dir, name), 0o755);
  }
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('no ps on the PATH', () => {
  it('escalates to SIGKILL on the app and its grandchild, and devsup lives on and exits with 143 (128 + the SIGTERM it got)', async () => {
    const project = new Project('stubborn-tree.ts');
    const devsup = project.run([project.entry, ...LADDER], { env: { PATH: binDir(), ...marker() } });
    const [first] = await project.waitFor('start');
    await devsup.waitForLine(/ready in/);
    const old = [first!.pid, first!.grandchild as number];

    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    const asked = Date.now();
    await until('the old app and its grandchild to be gone', () => old.every((pid) => !isAlive(pid)), 15_000);
    const took = Date.now() - asked;
    console.log(`no ps: old tree gone ${took} ms after the restart line`);
    expect(took).toBeLessThan(STOP_TIMEOUT + KILL_GRACE + 2500);
    const [, second] = await project.waitFor('start', 2, 15_000);
    await devsup.waitForLine(/→ SIGKILL to its process tree/);
    expect(devsup.process.exitCode).toBe(null);
    expect(ofRun(first!.run as string)).toEqual([]);

    // Stopping devsup climbs the same ladder, and its exit code says the app was killed.
    devsup.process.kill('SIGTERM');
    const exit = await devsup.exited;
    expect(exit).toEqual({ code: 143, signal: null });
    expect(isAlive(second!.pid)).toBe(false);
    expect(isAlive(second!.grandchild as number)).toBe(false);
    expect(devsup.stderr).not.toMatch(/ENOENT|spawn ps/);
  });

  it('never runs ps (or tree-kill, which runs ps) on Linux', async () => {
    const calls = join(mkdtempSync(join(tmpdir(), 'devsup-ps-spy-')), 'calls');
    onTestFinished(() => rmSync(join(calls, '..'), { recursive: true, force: true }));
    const spy = `#!/bin/sh\necho "ps $*" >> '${calls}'\nexit 1\n`;
    const project = new Project('stubborn-tree.ts');
    const devsup = project.run([project.entry, ...LADDER], { env: { PATH: binDir({ ps: spy }), ...marker() } });
    await project.waitFor('start');
    await devsup.waitForLine(/ready in/);
    project.setVersion(2);
    await project.waitFor('start', 2, 15_000);
    devsup.process.kill('SIGTERM');
    expect((await devsup.exited).code).toBe(143);
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
  });
});
