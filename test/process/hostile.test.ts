// Apps that misbehave, one behaviour each. For every one: devsup keeps running, the old app is gone within
// stopTimeout + killGrace + 500 ms, nothing of it survives, one clear line says what happened, and the next app
// starts only after the old tree is gone.
import { describe, expect, it } from 'vitest';
import { freePort, isAlive, Project, until, type RunOptions } from '../helpers/harness.js';

const STOP_TIMEOUT = 1000;
const KILL_GRACE = 500;
const BOUND = STOP_TIMEOUT + KILL_GRACE + 500;

interface Case {
  fixture: string;
  /** The line that says what happened (human log). */
  line: RegExp;
  more?: string[];
  args?: (entry: string) => string[];
  env?: Record<string, string>;
  run?: RunOptions;
  /** Something the fixture records once it is in the state the case is about. */
  armed?: string;
  check?: (project: Project) => void;
}

const cases: [string, Case][] = [
  ['ignores shutdown and SIGTERM', { fixture: 'ignores-shutdown.ts', line: /still running 500 ms after SIGTERM \(cleanup "stuck" still running after 1\.\d s\) → SIGKILL to its process tree/ }],
  ['blocks its event loop forever', { fixture: 'blocks-event-loop.ts', armed: 'blocking', line: /still running 500 ms after SIGTERM \(the app has not exited\) → SIGKILL to its process tree/ }],
  ['hangs in one cleanup of three', { fixture: 'hangs-in-cleanup.ts', line: /app ended \(exit 143\) during cleanup "middle"; never ran: first/ }],
  ['crashes during a cleanup', { fixture: 'crashes-in-cleanup.ts', line: /app ended \(exit 1\) during cleanup "flush queue"; never ran: after the crash/ }],
  ['calls process.exit() in a cleanup', { fixture: 'exits-in-cleanup.ts', line: /app ended \(exit 0\) during cleanup "stop workers"; never ran: close db/ }],
  ['registers a cleanup after shutdown began', { fixture: 'registers-late.ts', line: /cleanups: early \d+ ms, registered late \d+ ms/ }],
  ['spawns a grandchild that ignores SIGTERM', { fixture: 'spawns-grandchild.ts', line: /killed 1 leftover process of the old app: pid \d+ \(.*devsup-test-grandchild\)/ }],
  ['double-forks a grandchild into its own session', { fixture: 'spawns-detached.ts', line: /killed 1 leftover process of the old app: pid \d+ \(sleep 1000\)/ }],
  ['closes its IPC channel on purpose', { fixture: 'closes-ipc.ts', armed: 'disconnected', line: /the app closed its IPC channel; it will be stopped with SIGTERM/ }],
  ['sends garbage over IPC', {
    fixture: 'sends-garbage.mjs',
    armed: 'sent',
    line: /ignored an IPC message from the app: a message over 1048576 bytes was dropped/,
    args: (e) => [e, '--verbose', '--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE)],
  }],
  ['floods stdout with 100 MB', { fixture: 'floods-stdout.mjs', armed: 'flooded', line: /restart #1: change in version\.mjs · teardown \d+ ms/, run: { stdout: 'ignore' } }],
  ['runs behind a shell that waits for it', {
    fixture: 'shell-wrapped.sh',
    more: ['plain-sigterm.mjs'],
    args: () => ['exec', '--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE), '--', 'sh', 'shell-wrapped.sh'],
    line: /restart #1: change in version\.mjs · teardown \d+ ms/,
    // The app behind the shell got the signal too, and finished its own cleanup before the next start.
    check: (project) => expect(project.named('cleanup-end')).toHaveLength(1),
  }],
];

describe('hostile apps', () => {
  it.each(cases)('%s', async (_name, c) => {
    const project = new Project(c.fixture, undefined, c.more);
    const port = await freePort();
    const args = c.args?.(project.entry) ?? [project.entry, '--stop-timeout', String(STOP_TIMEOUT), '--kill-grace', String(KILL_GRACE)];
    const options: RunOptions = { env: { PORT: String(port), ...c.env }, ...c.run };
    const devsup = args[0] === 'exec' ? project.run([], { ...options, args }) : project.run(args, options);
    await devsup.waitForLine(/watching/);
    const [first] = await project.waitFor('start');
    if (c.armed) await project.waitFor(c.armed);
    const old = [first!.pid, first!.grandchild].filter((pid): pid is number => typeof pid === 'number');

    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    const asked = Date.now();
    await until('the old app and its processes to be gone', () => old.every((pid) => !isAlive(pid)), 15_000);
    expect(Date.now() - asked).toBeLessThan(BOUND);

    const [, second] = await project.waitFor('start', 2, 15_000);
    await devsup.waitForLine(c.line);
    expect(old.every((pid) => !isAlive(pid))).toBe(true);
    expect(second!.pid).not.toBe(first!.pid);
    expect(devsup.process.exitCode).toBe(null);
    c.check?.(project);
  });
});
