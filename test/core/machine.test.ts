// The state machine as a table: from a state, on an event, to a state with these effects. No processes, no timers.
import { describe, expect, it } from 'vitest';
import { HELD_MS, KILL_WAIT_MS, LINGER_MS } from '../../src/core/ladder.js';
import { exitCodeOf, MAX_REBUILDS, mergeTriggers, transition, WARM_AFTER_MS, type Effect, type Event, type State, type Trigger } from '../../src/core/machine.js';
import type { StopReason } from '../../src/protocol/messages.js';

const change = (...paths: string[]): Trigger => ({ reason: 'change', paths, settled: false });
const settled = (...paths: string[]): Trigger => ({ reason: 'change', paths, settled: true });
const manual: Trigger = { reason: 'manual', paths: [], settled: true };
const exit0 = { code: 0, signal: null };
const crash = { code: 1, signal: null };
const killed = { code: null, signal: 'SIGKILL' };

const starting = (pending: Trigger | null = null, sdk = true): State => ({ kind: 'starting', runId: 2, sdk, pending });
const running = (sdk = true): State => ({ kind: 'running', runId: 2, sdk });
const stopping = (over: Partial<Extract<State, { kind: 'stopping' }>> = {}): State => ({
  kind: 'stopping', runId: 2, sdk: true, phase: 'graceful', next: 'start', trigger: change('a.ts'), exit: null, ...over,
});
const waiting: State = { kind: 'waiting', runId: 2, exit: crash };

const spawn3 = (trigger: Trigger): Effect[] => [
  { type: 'spawn', runId: 3, trigger },
  { type: 'arm', runId: 3, timer: 'ready', duration: 'readyTimeout' },
];

/** Ready (by message or timeout) with a pending trigger: said, then exactly one follow-up restart over IPC. */
const readyThenRestart = (via: 'message' | 'timeout', trigger: Trigger, reason: StopReason, changed: string[]): Effect[] => [
  { type: 'notify', notice: { type: 'ready', runId: 2, via } },
  { type: 'notify', notice: { type: 'restarting', runId: 2, trigger, from: 'starting' } },
  { type: 'disarm' },
  { type: 'send-shutdown', runId: 2, reason, changed },
  { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
  { type: 'prepare' }, // boot the next app's process while this one tears down
];

/** The same effects with the notice that part of the pending change is already in the app, right after ready's. */
const inAppThen = ([ready, ...rest]: Effect[], trigger: Trigger, all: boolean): Effect[] => [
  ready!,
  { type: 'notify', notice: { type: 'in-app', runId: 2, trigger, all } },
  ...rest,
];

type Row = [name: string, from: State, event: Event, to: State, effects: Effect[]];

const rows: Row[] = [
  ['idle: start spawns run 1', { kind: 'idle' }, { type: 'start' },
    { kind: 'starting', runId: 1, sdk: false, pending: null },
    [{ type: 'spawn', runId: 1, trigger: null }, { type: 'arm', runId: 1, timer: 'ready', duration: 'readyTimeout' }]],
  ['idle: a change before start is nothing', { kind: 'idle' }, { type: 'changed', paths: ['a.ts'] }, { kind: 'idle' }, []],
  ['starting: hello marks the child as speaking the protocol, and the ready timeout counts from it', starting(null, false),
    { type: 'hello', runId: 2 }, starting(null, true), [{ type: 'arm', runId: 2, timer: 'ready', duration: 'readyTimeout' }]],
  ['running: an app that closed its IPC channel is asked with a signal from now on', running(true), { type: 'disconnected', runId: 2 },
    running(false), []],
  ['starting: ready → running', starting(), { type: 'ready', runId: 2 }, running(),
    [{ type: 'disarm' }, { type: 'notify', notice: { type: 'ready', runId: 2, via: 'message' } }]],
  ['starting: the ready timeout counts as ready (the app’s own ready is still news)', starting(), { type: 'ready-timeout', runId: 2 },
    { kind: 'running', runId: 2, sdk: true, readyLate: true },
    [{ type: 'disarm' }, { type: 'notify', notice: { type: 'ready', runId: 2, via: 'timeout' } }]],
  ['starting: a change is kept for after ready, nothing sent', starting(), { type: 'changed', paths: ['a.ts'] },
    starting(change('a.ts')), [{ type: 'notify', notice: { type: 'deferred', runId: 2, trigger: change('a.ts') } }]],
  ['starting, no hello (nothing will say ready): a change restarts at once, with a signal', starting(null, false),
    { type: 'changed', paths: ['a.ts'] }, stopping({ sdk: false, phase: 'terminating' }),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: change('a.ts'), from: 'starting' } },
      { type: 'disarm' },
      { type: 'signal', runId: 2, signal: 'stop', tree: true },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' }, // boot the next app's process while this one tears down
    ]],
  ['starting: changes merge, without duplicates, and are announced once', starting(change('a.ts')), { type: 'changed', paths: ['a.ts', 'b.ts'] },
    starting(change('a.ts', 'b.ts')), []],
  ['starting: ready with a pending change → exactly one follow-up restart', starting(change('a.ts')), { type: 'ready', runId: 2 },
    stopping({ trigger: change('a.ts') }), readyThenRestart('message', change('a.ts'), 'restart', ['a.ts'])],
  ['starting: ready, and the pending change is one the app loaded after it was written (generated, then imported) → no restart',
    starting(change('gen.mjs')), { type: 'ready', runId: 2, inApp: ['gen.mjs'] }, running(),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ready', runId: 2, via: 'message' } },
      { type: 'notify', notice: { type: 'in-app', runId: 2, trigger: change('gen.mjs'), all: true } },
    ]],
  ['starting: the ready timeout, with only part of the pending change in the app → a restart for the rest',
    starting(change('gen.mjs', 'a.ts')), { type: 'ready-timeout', runId: 2, inApp: ['gen.mjs'] }, stopping({ trigger: change('a.ts') }),
    inAppThen(readyThenRestart('timeout', change('a.ts'), 'restart', ['a.ts']), change('gen.mjs'), false)],
  ['starting: rs during the start still restarts, even when the change that came with it is in the app',
    starting({ reason: 'manual', paths: ['gen.mjs'], settled: true }), { type: 'ready', runId: 2, inApp: ['gen.mjs'] },
    stopping({ trigger: manual }), inAppThen(readyThenRestart('message', manual, 'manual', []), { reason: 'manual', paths: ['gen.mjs'], settled: true }, false)],
  ['running: a change asks over IPC and arms the stop deadline', running(), { type: 'changed', paths: ['a.ts'] },
    stopping(),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: change('a.ts'), from: 'running' } },
      { type: 'disarm' },
      { type: 'send-shutdown', runId: 2, reason: 'restart', changed: ['a.ts'] },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' }, // boot the next app's process while this one tears down
    ]],
  ['running without the SDK: the signal is the first rung', running(false), { type: 'changed', paths: ['a.ts'] },
    stopping({ sdk: false, phase: 'terminating' }),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: change('a.ts'), from: 'running' } },
      { type: 'disarm' },
      { type: 'signal', runId: 2, signal: 'stop', tree: true },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' }, // boot the next app's process while this one tears down
    ]],
  ['running: rs asks with reason "manual"', running(), { type: 'restart' },
    stopping({ trigger: manual }),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: manual, from: 'running' } },
      { type: 'disarm' },
      { type: 'send-shutdown', runId: 2, reason: 'manual', changed: [] },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' }, // boot the next app's process while this one tears down
    ]],
  ['stopping: a change merges, never a second request or an escalation', stopping(), { type: 'changed', paths: ['b.ts'] },
    stopping({ trigger: change('a.ts', 'b.ts') }), []],
  ['stopping: deadline → signal the tree, arm the kill grace', stopping(), { type: 'escalate', runId: 2 },
    stopping({ phase: 'terminating' }),
    [
      { type: 'notify', notice: { type: 'escalated', runId: 2, phase: 'terminating', forced: false, waited: 'stopTimeout' } },
      { type: 'signal', runId: 2, signal: 'stop', tree: true },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'killGrace' },
    ]],
  ['stopping: grace over → SIGKILL the tree', stopping({ phase: 'terminating' }), { type: 'escalate', runId: 2 },
    stopping({ phase: 'killing' }),
    [
      { type: 'notify', notice: { type: 'escalated', runId: 2, phase: 'killing', forced: false, waited: 'killGrace' } },
      { type: 'signal', runId: 2, signal: 'SIGKILL', tree: true },
    ]],
  ['stopping without the SDK: the stop timeout leads straight to SIGKILL', stopping({ sdk: false, phase: 'terminating' }),
    { type: 'escalate', runId: 2 }, stopping({ sdk: false, phase: 'killing' }),
    [
      { type: 'notify', notice: { type: 'escalated', runId: 2, phase: 'killing', forced: false, waited: 'stopTimeout' } },
      { type: 'signal', runId: 2, signal: 'SIGKILL', tree: true },
    ]],
  ['stopping: exited → reap the tree before anything new starts', stopping(), { type: 'exited', runId: 2, exit: exit0 },
    stopping({ phase: 'reaping', exit: exit0 }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: exit0, asked: true } },
      { type: 'reap', runId: 2 },
      // What is left of the run gets what is left of the app's own deadline: its shutdown did not say it finished.
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'deadline' },
    ]],
  ['stopping: reaped, changes settled → the next child', stopping({ phase: 'reaping', exit: exit0, trigger: settled('a.ts') }),
    { type: 'reaped', runId: 2 }, { kind: 'starting', runId: 3, sdk: false, pending: null }, spawn3(settled('a.ts'))],
  ['stopping: reaped while files still change → settling, nothing spawned', stopping({ phase: 'reaping', exit: exit0 }),
    { type: 'reaped', runId: 2 }, { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: exit0 }, []],
  ['stopping: the quiet period passes → the trigger is settled', stopping(), { type: 'settled' },
    stopping({ trigger: settled('a.ts') }), []],
  ['stopping: a change after settling opens a new quiet period', stopping({ trigger: settled('a.ts') }), { type: 'changed', paths: ['b.ts'] },
    stopping({ trigger: change('a.ts', 'b.ts') }), []],
  ['settling: more changes merge', { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: exit0 }, { type: 'changed', paths: ['b.ts'] },
    { kind: 'settling', runId: 2, trigger: change('a.ts', 'b.ts'), exit: exit0 }, []],
  ['settling: settled → the next child', { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: exit0 }, { type: 'settled' },
    { kind: 'starting', runId: 3, sdk: false, pending: null }, spawn3(settled('a.ts'))],
  ['settling: rs starts now', { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: exit0 }, { type: 'restart' },
    { kind: 'starting', runId: 3, sdk: false, pending: null }, spawn3({ reason: 'manual', paths: ['a.ts'], settled: true })],
  ['settling: close ends with the last exit code', { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: crash }, { type: 'close' },
    { kind: 'closed', exitCode: 1 }, [{ type: 'notify', notice: { type: 'closing', runId: null } }, { type: 'finish', exitCode: 1 }]],
  ['starting: settled marks the pending change settled', starting(change('a.ts')), { type: 'settled' }, starting(settled('a.ts')), []],
  ['running: exited unasked → reap, then wait', running(), { type: 'exited', runId: 2, exit: crash },
    stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: crash, asked: false } },
      { type: 'reap', runId: 2 },
      // Unasked, what is left of the run gets a moment to end with it.
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
    ]],
  ['starting with a pending change: a crash still restarts for it', starting(change('a.ts')), { type: 'exited', runId: 2, exit: crash },
    stopping({ phase: 'reaping', next: 'start', trigger: change('a.ts'), exit: crash }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: crash, asked: false, after: { kind: 'start' } } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
    ]],
  ['reaping after a crash: a change turns waiting into a restart, and says so', stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash }),
    { type: 'changed', paths: ['a.ts'] }, stopping({ phase: 'reaping', next: 'start', trigger: change('a.ts'), exit: crash }),
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: change('a.ts'), from: 'waiting' } }]],
  ['reaped after a crash → waiting', stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash }), { type: 'reaped', runId: 2 },
    waiting, []],
  ['waiting: a change waits for the quiet period', waiting, { type: 'changed', paths: ['a.ts'] },
    { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: crash },
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: change('a.ts'), from: 'waiting' } }]],
  ['waiting: rs starts the next child now', waiting, { type: 'restart' },
    { kind: 'starting', runId: 3, sdk: false, pending: null },
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: manual, from: 'waiting' } }, ...spawn3(manual)]],
  ['running: close asks with reason "exit"', running(), { type: 'close' }, stopping({ next: 'close', trigger: null }),
    [
      { type: 'notify', notice: { type: 'closing', runId: 2 } },
      { type: 'disarm' },
      { type: 'send-shutdown', runId: 2, reason: 'exit', changed: [] },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
    ]],
  ['stopping for a restart: close takes over the same teardown', stopping(), { type: 'close' }, stopping({ next: 'close' }),
    [{ type: 'notify', notice: { type: 'closing', runId: 2 } }]],
  ['closing: a change is ignored', stopping({ next: 'close' }), { type: 'changed', paths: ['b.ts'] }, stopping({ next: 'close' }), []],
  ['closing: a second close forces SIGKILL', stopping({ next: 'close' }), { type: 'close' }, stopping({ next: 'close', phase: 'killing' }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'escalated', runId: 2, phase: 'killing', forced: true, waited: 'stopTimeout' } },
      { type: 'signal', runId: 2, signal: 'SIGKILL', tree: true },
    ]],
  ['closing: reaped → closed with the app\'s exit code', stopping({ next: 'close', phase: 'reaping', exit: { code: 3, signal: null } }),
    { type: 'reaped', runId: 2 }, { kind: 'closed', exitCode: 3 }, [{ type: 'finish', exitCode: 3 }]],
  ['waiting: close ends at once with the last exit code', waiting, { type: 'close' }, { kind: 'closed', exitCode: 1 },
    [{ type: 'notify', notice: { type: 'closing', runId: null } }, { type: 'finish', exitCode: 1 }]],
  ['idle: close ends with 0', { kind: 'idle' }, { type: 'close' }, { kind: 'closed', exitCode: 0 }, [{ type: 'finish', exitCode: 0 }]],
  ['a timer of an older child is ignored', running(), { type: 'escalate', runId: 1 }, running(), []],
  ['an exit of an older child is ignored', starting(), { type: 'exited', runId: 1, exit: crash }, starting(), []],
  ['a late ready() after the timeout is still reported, once', { kind: 'running', runId: 2, sdk: true, readyLate: true },
    { type: 'ready', runId: 2 }, running(), [{ type: 'notify', notice: { type: 'ready', runId: 2, via: 'message' } }]],
  ['running: a ready sent again (or 20,000 of them) is nothing: no notice, no snapshot', running(), { type: 'ready', runId: 2 },
    running(), []],
  ['running: the ready timeout of a start already ready is nothing', running(), { type: 'ready-timeout', runId: 2 }, running(), []],
  ['stopping: the app asks for more time → the deadline is re-armed', stopping(), { type: 'extend', runId: 2, ms: 3000 }, stopping(),
    [
      { type: 'notify', notice: { type: 'extended', runId: 2, askedMs: 3000, grantedMs: 3000, maxMs: 30_000 } },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: 3000 } },
    ]],
  ['once signalled, asking for more time changes nothing', stopping({ phase: 'terminating' }), { type: 'extend', runId: 2, ms: 3000 },
    stopping({ phase: 'terminating' }), []],
  // The decisions that used to be the shell's own.
  ['starting: a second hello (an app that repeats it) does not re-arm the ready timer', starting(null, true),
    { type: 'hello', runId: 2 }, starting(null, true), []],
  ['running: a change the loop guard pauses restarts nothing, and says so', running(),
    { type: 'changed', paths: ['app.db'], loop: { kind: 'paused', path: 'app.db', restarts: 3 } }, running(),
    [{ type: 'notify', notice: { type: 'paused', runId: 2, path: 'app.db', restarts: 3 } }]],
  ['running: while paused, a change to the paused file only is held', running(),
    { type: 'changed', paths: ['app.db'], loop: { kind: 'held' } }, running(),
    [{ type: 'notify', notice: { type: 'held', runId: 2, paths: ['app.db'] } }]],
  ['stopping: the loop guard has no say once the app is being stopped', stopping(),
    { type: 'changed', paths: ['b.ts'], loop: { kind: 'held' } }, stopping({ trigger: change('a.ts', 'b.ts') }), []],
  ['stopping: more time is capped by maxStopTimeout, counted from the request to stop', stopping(),
    { type: 'extend', runId: 2, ms: 20_000, elapsedMs: 15_000, deadlineInMs: 1000 }, stopping(),
    [
      { type: 'notify', notice: { type: 'extended', runId: 2, askedMs: 20_000, grantedMs: 15_000, maxMs: 30_000 } },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: 15_000 } },
    ]],
  ['stopping: more time past maxStopTimeout is refused, the deadline stays', stopping(),
    { type: 'extend', runId: 2, ms: 5000, elapsedMs: 29_000, deadlineInMs: 1000 }, stopping(),
    [{ type: 'notify', notice: { type: 'extended', runId: 2, askedMs: 5000, grantedMs: 0, maxMs: 30_000 } }]],
  ['stopping: the app reports its shutdown done → said, and what is left of it gets only a moment after the exit', stopping(),
    { type: 'shutdown-done', runId: 2, results: [], openHandles: [] }, stopping({ done: true }),
    [{ type: 'notify', notice: { type: 'cleanups', runId: 2, results: [], openHandles: [] } }]],
  ['running: a shutdown report nobody asked for is noise', running(), { type: 'shutdown-done', runId: 2, results: [], openHandles: [] }, running(), []],
  ['stopping, shutdown done: exited → the leftovers get a moment, not the deadline', stopping({ done: true }), { type: 'exited', runId: 2, exit: exit0 },
    stopping({ done: true, phase: 'reaping', exit: exit0 }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: exit0, asked: true } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
    ]],
  ['killing: exited → what is left is SIGKILLed at once', stopping({ phase: 'killing' }), { type: 'exited', runId: 2, exit: killed },
    stopping({ phase: 'reaping-killing', exit: killed }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: killed, asked: true } },
      { type: 'reap', runId: 2 },
      { type: 'signal-leftovers', runId: 2, signal: 'SIGKILL' },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: KILL_WAIT_MS } },
    ]],
  ['reaping: leftovers still there after their moment → SIGTERM, then the kill grace', stopping({ phase: 'reaping', exit: exit0 }),
    { type: 'escalate', runId: 2 }, stopping({ phase: 'reaping-terminating', exit: exit0 }),
    [{ type: 'signal-leftovers', runId: 2, signal: 'SIGTERM' }, { type: 'arm', runId: 2, timer: 'escalate', duration: 'killGrace' }]],
  ['reaping: still there after the kill grace → SIGKILL, and a bound for the kernel', stopping({ phase: 'reaping-terminating', exit: exit0 }),
    { type: 'escalate', runId: 2 }, stopping({ phase: 'reaping-killing', exit: exit0 }),
    [{ type: 'signal-leftovers', runId: 2, signal: 'SIGKILL' }, { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: KILL_WAIT_MS } }]],
  ['reaping: past that bound, devsup says so and goes on (never waits forever)', stopping({ phase: 'reaping-killing', exit: exit0, trigger: settled('a.ts') }),
    { type: 'escalate', runId: 2 }, { kind: 'starting', runId: 3, sdk: false, pending: null },
    [{ type: 'notify', notice: { type: 'leftovers-survived', runId: 2 } }, ...spawn3(settled('a.ts'))]],
  ['reaping: a second close does not cut the reap short', stopping({ phase: 'reaping', next: 'close', exit: exit0 }), { type: 'close' },
    stopping({ phase: 'reaping', next: 'close', exit: exit0 }), []],
  ['closed stays closed', { kind: 'closed', exitCode: 0 }, { type: 'changed', paths: ['a.ts'] }, { kind: 'closed', exitCode: 0 }, []],
];

describe('a warm standby', () => {
  const warm = { onCrash: 'wait', maxStopTimeout: 30_000, warmStandby: true } as const;
  it('arms its timer with every spawn, and boots it when the timer fires or the app is ready', () => {
    expect(transition({ kind: 'idle' }, { type: 'start' }, warm).effects).toEqual([
      { type: 'spawn', runId: 1, trigger: null },
      { type: 'arm', runId: 1, timer: 'ready', duration: 'readyTimeout' },
      { type: 'arm', runId: 1, timer: 'warm', duration: { ms: WARM_AFTER_MS } },
    ]);
    expect(transition(starting(), { type: 'warm', runId: 2 }, warm)).toEqual({ state: starting(), effects: [{ type: 'prepare' }] });
    expect(transition(starting(), { type: 'ready', runId: 2 }, warm).effects.at(-1)).toEqual({ type: 'prepare' });
    expect(transition(stopping(), { type: 'warm', runId: 2 }, warm).effects).toEqual([]);
  });
  it('is not booted without the policy', () => {
    expect(transition({ kind: 'idle' }, { type: 'start' }).effects.some((e) => e.type === 'arm' && e.timer === 'warm')).toBe(false);
    expect(transition(starting(), { type: 'ready', runId: 2 }).effects.some((e) => e.type === 'prepare')).toBe(false);
  });
});

describe('under a debugger', () => {
  const held: Effect[] = [{ type: 'notify', notice: { type: 'debugger-held', runId: 2 } }, { type: 'end', runId: 2 }];
  it.each([
    ['stopping, the cleanups done', stopping({ done: true })],
    ['stopping, still asking', stopping()],
    ['running (it ended on its own)', running()],
    ['starting', starting()],
  ])('%s: a process that said it is exiting and is still there a moment later is ended', (_name, from) => {
    expect(transition(from, { type: 'exiting', runId: 2 })).toEqual({
      state: from,
      effects: [{ type: 'arm', runId: 2, timer: 'debugger', duration: { ms: HELD_MS } }],
    });
    expect(transition(from, { type: 'debugger', runId: 2 })).toEqual({ state: from, effects: held });
  });
  it('a process already gone is not ended, nor one of an earlier run', () => {
    const gone = stopping({ phase: 'reaping', exit: exit0, done: true });
    expect(transition(gone, { type: 'exiting', runId: 2 })).toEqual({ state: gone, effects: [] });
    expect(transition(gone, { type: 'debugger', runId: 2 })).toEqual({ state: gone, effects: [] });
    expect(transition(running(), { type: 'debugger', runId: 1 })).toEqual({ state: running(), effects: [] });
  });

  const brk = { onCrash: 'wait', maxStopTimeout: 30_000, awaitsDebugger: true } as const;
  it('--inspect-brk: no ready timer at the spawn or the hello; the preload\'s count of the app\'s running time is the ready timeout', () => {
    expect(transition({ kind: 'idle' }, { type: 'start' }, brk).effects).toEqual([{ type: 'spawn', runId: 1, trigger: null }]);
    expect(transition(starting(null, false), { type: 'hello', runId: 2 }, brk)).toEqual({ state: starting(null, true), effects: [] });
    expect(transition(starting(null, false), { type: 'ran', runId: 2 }, brk)).toEqual({
      state: { kind: 'running', runId: 2, sdk: false, readyLate: true },
      effects: [{ type: 'disarm' }, { type: 'notify', notice: { type: 'ready', runId: 2, via: 'timeout' } }],
    });
    // Without --inspect-brk the shell's own timer counts: a 'ran' is nothing.
    expect(transition(starting(null, false), { type: 'ran', runId: 2 })).toEqual({ state: starting(null, false), effects: [] });
  });
});

/** The crash policy's rows: they depend on onCrash. */
const crashTrigger: Trigger = { reason: 'crash', paths: [], settled: true };
const crashRows: [...Row, onCrash: 'restart' | 'exit'][] = [
  ['onCrash restart: a crash arms the backoff (100 ms for the first)', running(), { type: 'exited', runId: 2, exit: crash },
    stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash, crashes: 1 }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: crash, asked: false, after: { kind: 'retry', inMs: 100, attempt: 1 } } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
      { type: 'arm', runId: 2, timer: 'retry', duration: { ms: 100 } },
    ], 'restart'],
  ['onCrash restart: each crash in a row doubles it', { kind: 'running', runId: 2, sdk: true, crashes: 3 }, { type: 'exited', runId: 2, exit: crash },
    stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash, crashes: 4 }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: crash, asked: false, after: { kind: 'retry', inMs: 800, attempt: 4 } } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
      { type: 'arm', runId: 2, timer: 'retry', duration: { ms: 800 } },
    ], 'restart'],
  ['onCrash restart: a clean exit is no crash', running(), { type: 'exited', runId: 2, exit: exit0 },
    stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: exit0 }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: exit0, asked: false } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
    ], 'restart'],
  ['onCrash restart: the backoff over, waiting → the next child, keeping the count', { kind: 'waiting', runId: 2, exit: crash, crashes: 2 },
    { type: 'retry', runId: 2 }, { kind: 'starting', runId: 3, sdk: false, pending: null, crashes: 2 },
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: crashTrigger, from: 'waiting' } },
      { type: 'spawn', runId: 3, trigger: crashTrigger },
      { type: 'arm', runId: 3, timer: 'ready', duration: 'readyTimeout' },
    ], 'restart'],
  ['onCrash restart: the backoff over while the crashed tree is still reaped → the start waits for the reap',
    stopping({ phase: 'reaping', next: 'wait', trigger: null, exit: crash, crashes: 1 }),
    { type: 'retry', runId: 2 }, stopping({ phase: 'reaping', next: 'start', trigger: crashTrigger, exit: crash, crashes: 1 }),
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: crashTrigger, from: 'waiting' } }], 'restart'],
  ['onCrash restart: ready after crashes does not forgive them yet: the app must stay up', { kind: 'starting', runId: 2, sdk: true, pending: null, crashes: 2 },
    { type: 'ready', runId: 2 }, { kind: 'running', runId: 2, sdk: true, crashes: 2 },
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ready', runId: 2, via: 'message' } },
      { type: 'arm', runId: 2, timer: 'stable', duration: { ms: 5000 } },
    ], 'restart'],
  ['onCrash restart: stable → the crashes are forgiven', { kind: 'running', runId: 2, sdk: true, crashes: 2 }, { type: 'stable', runId: 2 }, running(), [], 'restart'],
  ['onCrash restart: rs starts a new version with a clean slate', { kind: 'waiting', runId: 2, exit: crash, crashes: 5 }, { type: 'restart' },
    { kind: 'starting', runId: 3, sdk: false, pending: null },
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: manual, from: 'waiting' } }, ...spawn3(manual)], 'restart'],
  ['onCrash exit: a crash ends devsup once the tree is reaped', running(), { type: 'exited', runId: 2, exit: { code: 3, signal: null } },
    stopping({ phase: 'reaping', next: 'close', trigger: null, exit: { code: 3, signal: null } }),
    [
      { type: 'disarm' },
      { type: 'notify', notice: { type: 'ended', runId: 2, exit: { code: 3, signal: null }, asked: false, after: { kind: 'exit' } } },
      { type: 'reap', runId: 2 },
      { type: 'arm', runId: 2, timer: 'escalate', duration: { ms: LINGER_MS } },
    ], 'exit'],
];

/** The gated rows (policy.gated: a build step, or a services run's wait for dependencies): every start builds first. */
const building = (over: Partial<Extract<State, { kind: 'building' }>> = {}): State => ({ kind: 'building', runId: 2, trigger: settled('a.ts'), ...over });
const build2 = (trigger: Trigger | null): Effect[] => [{ type: 'disarm' }, { type: 'build', runId: 2, trigger }];
const gatedRows: Row[] = [
  ['gated: start builds first (run 0: nothing ran yet)', { kind: 'idle' }, { type: 'start' },
    { kind: 'building', runId: 0, trigger: null }, [{ type: 'disarm' }, { type: 'build', runId: 0, trigger: null }]],
  ['gated: built → the spawn of the next run', building(), { type: 'built', runId: 2 },
    { kind: 'starting', runId: 3, sdk: false, pending: null }, spawn3(settled('a.ts'))],
  ['gated: the old tree reaped, settled → building (not a spawn), with the old exit', stopping({ phase: 'reaping', exit: exit0, trigger: settled('a.ts') }),
    { type: 'reaped', runId: 2 }, building({ exit: exit0 }), build2(settled('a.ts'))],
  ['gated: settling, then settled → building', { kind: 'settling', runId: 2, trigger: change('a.ts'), exit: exit0 }, { type: 'settled' },
    building({ exit: exit0 }), build2(settled('a.ts'))],
  ['gated: waiting, a settled restart → building', waiting, { type: 'restart' }, building({ trigger: manual, exit: crash }),
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: manual, from: 'waiting' } }, ...build2(manual)]],
  ['gated: a change while building merges, and marks the build stale', building(), { type: 'changed', paths: ['b.ts'] },
    building({ trigger: change('a.ts', 'b.ts'), again: true }), []],
  ['gated: built while stale → build again (no spawn of an old build)', building({ trigger: settled('a.ts', 'b.ts'), again: true }), { type: 'built', runId: 2 },
    building({ trigger: settled('a.ts', 'b.ts'), rebuilds: 1 }), build2(settled('a.ts', 'b.ts'))],
  ['gated: stale after every one of several builds in a row (the build writing what is watched?) → said, and the latest build starts',
    building({ trigger: settled('dist/main.js'), again: true, rebuilds: MAX_REBUILDS }), { type: 'built', runId: 2 },
    { kind: 'starting', runId: 3, sdk: false, pending: null },
    [{ type: 'notify', notice: { type: 'build-loop', runId: 2, builds: MAX_REBUILDS + 1, paths: ['dist/main.js'] } }, ...spawn3(settled('dist/main.js'))]],
  ['gated: a failed build starts nothing: waiting, with the build’s exit', building(), { type: 'build-failed', runId: 2, exit: { code: 2, signal: null } },
    { kind: 'waiting', runId: 2, exit: { code: 2, signal: null } },
    [{ type: 'notify', notice: { type: 'build-failed', runId: 2, exit: { code: 2, signal: null } } }]],
  ['gated: after a failed build the next change builds again', { kind: 'waiting', runId: 2, exit: { code: 2, signal: null } },
    { type: 'restart', reason: 'change', paths: ['a.ts'] }, building({ exit: { code: 2, signal: null } }),
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: settled('a.ts'), from: 'waiting' } }, ...build2(settled('a.ts'))]],
  ['gated: a build of an older run is nothing', building(), { type: 'built', runId: 1 }, building(), []],
  ['gated: built in any other state is nothing', running(), { type: 'built', runId: 2 }, running(), []],
  ['gated: close while building → closed at once, the old run’s exit code', building({ exit: { code: 3, signal: null } }), { type: 'close' },
    { kind: 'closed', exitCode: 3 }, [{ type: 'notify', notice: { type: 'closing', runId: null } }, { type: 'finish', exitCode: 3 }]],
  ['gated: close while the first build runs → closed, 0', building({ runId: 0, trigger: null }), { type: 'close' },
    { kind: 'closed', exitCode: 0 }, [{ type: 'notify', notice: { type: 'closing', runId: null } }, { type: 'finish', exitCode: 0 }]],
  ['gated: a late timer of the old run while building is nothing', building(), { type: 'escalate', runId: 2 }, building(), []],
  ['gated: onCrash’s retry (crash trigger) keeps the count through the build', { kind: 'waiting', runId: 2, exit: crash, crashes: 2 }, { type: 'retry', runId: 2 },
    building({ trigger: crashTrigger, exit: crash, crashes: 2 }),
    [{ type: 'notify', notice: { type: 'restarting', runId: 2, trigger: crashTrigger, from: 'waiting' } }, ...build2(crashTrigger)]],
];

const restartRows: Row[] = [
  ['restart with paths (a services run, or restart({ paths })): a settled change trigger', running(), { type: 'restart', reason: 'change', paths: ['a.ts'] },
    stopping({ trigger: settled('a.ts') }),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: settled('a.ts'), from: 'running' } },
      { type: 'disarm' },
      { type: 'send-shutdown', runId: 2, reason: 'restart', changed: ['a.ts'] },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' },
    ]],
  ['restart({ reason }) carries the caller’s words', running(), { type: 'restart', why: 'routes changed' },
    stopping({ trigger: { ...manual, why: 'routes changed' } }),
    [
      { type: 'notify', notice: { type: 'restarting', runId: 2, trigger: { ...manual, why: 'routes changed' }, from: 'running' } },
      { type: 'disarm' },
      { type: 'send-shutdown', runId: 2, reason: 'manual', changed: [] },
      { type: 'arm', runId: 2, timer: 'escalate', duration: 'stopTimeout' },
      { type: 'prepare' },
    ]],
];

describe('transition', () => {
  it.each(rows)('%s', (_name, from, event, to, effects) => {
    const step = transition(from, event);
    expect(step.state).toEqual(to);
    expect(step.effects).toEqual(effects);
  });

  it.each(restartRows)('%s', (_name, from, event, to, effects) => {
    const step = transition(from, event);
    expect(step.state).toEqual(to);
    expect(step.effects).toEqual(effects);
  });

  it.each(gatedRows)('%s', (_name, from, event, to, effects) => {
    const step = transition(from, event, { onCrash: 'restart', maxStopTimeout: 30_000, gated: true });
    expect(step.state).toEqual(to);
    expect(step.effects).toEqual(effects);
  });

  it.each(crashRows)('%s', (_name, from, event, to, effects, onCrash) => {
    const step = transition(from, event, { onCrash, maxStopTimeout: 30_000 });
    expect(step.state).toEqual(to);
    expect(step.effects).toEqual(effects);
  });

  it('never sends a second shutdown request in one teardown, whatever arrives', () => {
    let state = running();
    const requests: Effect[] = [];
    const events: Event[] = [
      { type: 'changed', paths: ['a.ts'] },
      { type: 'changed', paths: ['b.ts'] },
      { type: 'restart' },
      { type: 'escalate', runId: 2 },
      { type: 'changed', paths: ['c.ts'] },
      { type: 'hello', runId: 2 },
    ];
    for (const event of events) {
      const step = transition(state, event);
      state = step.state;
      requests.push(...step.effects.filter((e) => e.type === 'send-shutdown'));
    }
    expect(requests).toHaveLength(1);
    expect(state).toMatchObject({ kind: 'stopping', phase: 'terminating', trigger: { reason: 'manual', paths: ['a.ts', 'b.ts', 'c.ts'], settled: false } });
  });
});

describe('exitCodeOf', () => {
  it.each([
    [null, 0],
    [{ code: 0, signal: null }, 0],
    [{ code: 2, signal: null }, 2],
    [{ code: null, signal: 'SIGKILL' }, 137],
    [{ code: null, signal: 'SIGTERM' }, 143],
    [{ code: null, signal: null }, 1],
  ] as const)('%o → %i', (exit, code) => {
    expect(exitCodeOf(exit)).toBe(code);
  });
});

describe('mergeTriggers', () => {
  it('keeps paths in order without duplicates, and a manual request stays manual', () => {
    expect(mergeTriggers(null, change('a'))).toEqual(change('a'));
    expect(mergeTriggers(change('a', 'b'), change('b', 'c'))).toEqual(change('a', 'b', 'c'));
    expect(mergeTriggers(manual, change('a'))).toEqual({ reason: 'manual', paths: ['a'], settled: false });
    expect(mergeTriggers(change('a'), manual)).toEqual({ reason: 'manual', paths: ['a'], settled: true });
  });
});
