// A flood of messages from the app delays no rung of the ladder (issue 16, item 4): an app that says ready 20,000
// times, then ignores shutdown and SIGTERM.
import { describe, expect, it } from 'vitest';
import { isAlive, Project, until } from '../helpers/harness.js';
import { marker } from './procs.js';

const STOP_TIMEOUT = 1000;
const KILL_GRACE = 500;
const LADDER = ['--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE)];

describe('a flood of ready messages', () => {
  it('does not delay a rung: 20,000 readies, then the ladder runs in order, on time', async () => {
    const project = new Project('floods-ready.ts');
    const devsup = project.run([project.entry, ...LADDER], { env: { FLOOD: '20000', ...marker() } });
    const [first] = await project.waitFor('start');
    await project.waitFor('flooded', 1, 30_000);

    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/, 1, 30_000);
    const asked = Date.now();
    await until('the flooding app to be gone', () => !isAlive(first!.pid), 60_000);
    const took = Date.now() - asked;
    console.log(`flood: app gone ${took} ms after the restart line`);
    expect(took).toBeLessThan(STOP_TIMEOUT + KILL_GRACE + 2500);
    await project.waitFor('start', 2, 30_000);
    await devsup.waitForLine(/restart #1/); // said once the new app is ready, after its first line of code
    const lines = devsup.lines();
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const rungs = [/→ restarting/, /stop timeout \(1000 ms\): cleanup "stuck" still running after [\d.]+ m?s → SIGTERM/, /still running 500 ms after SIGTERM .* → SIGKILL/, /restart #1/];
    const order = rungs.map(at);
    expect(order.every((i) => i >= 0), `every rung logged: ${order}`).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The late readies are one fact, said at most once (here: not at all, the start was already ready).
    expect(devsup.count(/\] ready in/)).toBe(1);
  });
});
