// A wide tree is killed from one scan, in bounded time (issue 16, item 6): an app that ignores shutdown and SIGTERM,
// with 300 descendants that ignore SIGTERM too.
import { describe, expect, it } from 'vitest';
import { isAlive, Project, until } from '../helpers/harness.js';
import { marker, ofRun } from './procs.js';

const STOP_TIMEOUT = 1000;
const KILL_GRACE = 500;
const LADDER = ['--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE)];

describe('a wide tree', () => {
  it('300 processes that ignore SIGTERM are all gone within the ladder\'s bound', async () => {
    const project = new Project('stubborn-tree.ts');
    const devsup = project.run([project.entry, ...LADDER], { env: { WIDTH: '300', ...marker() } });
    const [first] = await project.waitFor('start');
    await project.waitFor('wide', 1, 30_000);
    await devsup.waitForLine(/ready in/);
    const tree = ofRun(first!.run as string);
    expect(tree.length).toBeGreaterThanOrEqual(303); // the app, its grandchild, the sh and 300 sleeps

    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    const asked = Date.now();
    await until('the whole old tree to be gone', () => tree.every((pid) => !isAlive(pid)), 30_000);
    const took = Date.now() - asked;
    console.log(`wide tree: ${tree.length} processes gone ${took} ms after the restart line`);
    expect(took).toBeLessThan(STOP_TIMEOUT + KILL_GRACE + 3000);
    await project.waitFor('start', 2, 30_000);
    expect(ofRun(first!.run as string)).toEqual([]);
    expect(devsup.process.exitCode).toBe(null);
  });
});
