// The machine's teardown rows: the stop ladder (ask → signal → SIGKILL), more time asked for, the exit, what follows
// an exit the app was not asked for (the crash policy), the reap's rungs for what is left of the run, and closing.
import { backoffMs, beginStop, exitCodeOf, notify, same, startNext, withCrashes } from './steps.js';
import type { AfterExit, Duration, Effect, Event, Exit, Policy, State, Step } from './state.js';

// What is left of an app that finished its shutdown (or ended on its own) gets this long to end by itself: a helper
// that ends with its parent (Python's multiprocessing resource tracker, on EOF) is not a leftover.
export const LINGER_MS = 250;
// After SIGKILL, how long the reap waits for the kernel to end what is left (only a process stuck in the kernel takes
// longer); past it devsup says so and goes on.
export const KILL_WAIT_MS = 2000;

// A process that said it is exiting is given this long to be gone: its own 'exit' listeners, and Node's teardown.
// Still there past it, only a debugger holds it (Node waits for the debugger to disconnect).
export const HELD_MS = 100;

type Stopping = Extract<State, { kind: 'stopping' }>;

function escalate(state: Stopping, policy: Policy): Step {
  const { runId } = state;
  switch (state.phase) {
    case 'graceful':
      return {
        state: { ...state, phase: 'terminating' },
        effects: [
          notify({ type: 'escalated', runId, phase: 'terminating', forced: false, waited: 'stopTimeout' }),
          { type: 'signal', runId, signal: 'stop', tree: true },
          { type: 'arm', runId, timer: 'escalate', duration: 'killGrace' },
        ],
      };
    case 'terminating': {
      // Without the SDK the signal was the first rung, so the wait was the stop timeout, not the kill grace.
      const waited: Duration = state.sdk ? 'killGrace' : 'stopTimeout';
      return {
        state: { ...state, phase: 'killing' },
        effects: [
          notify({ type: 'escalated', runId, phase: 'killing', forced: false, waited }),
          { type: 'signal', runId, signal: 'SIGKILL', tree: true },
        ],
      };
    }
    case 'reaping':
      return {
        state: { ...state, phase: 'reaping-terminating' },
        effects: [{ type: 'signal-leftovers', runId, signal: 'SIGTERM' }, { type: 'arm', runId, timer: 'escalate', duration: 'killGrace' }],
      };
    case 'reaping-terminating':
      return {
        state: { ...state, phase: 'reaping-killing' },
        effects: [{ type: 'signal-leftovers', runId, signal: 'SIGKILL' }, { type: 'arm', runId, timer: 'escalate', duration: { ms: KILL_WAIT_MS } }],
      };
    case 'reaping-killing':
      // Never wait forever: say what would not die, and go on as if it had.
      return reaped(state, policy, [notify({ type: 'leftovers-survived', runId })]);
    default:
      return same(state);
  }
}

// The exit: what is left of the run is reaped before anything new starts. It gets what was left of the app's own
// deadline if the app was asked and did not finish its shutdown (behind a wrapper, the real app may still be cleaning
// up), a moment if it did (or ended unasked), and nothing once the ladder reached SIGKILL.
function exited(state: Extract<State, { kind: 'starting' | 'running' | 'stopping' }>, exit: Exit, policy: Policy): Step {
  const { runId } = state;
  const asked = state.kind === 'stopping';
  const killing = asked && state.phase === 'killing';
  const linger: Effect = {
    type: 'arm',
    runId,
    timer: 'escalate',
    duration: asked && !state.done && !killing ? 'deadline' : { ms: LINGER_MS },
  };
  const rungs: Effect[] = killing
    ? [{ type: 'reap', runId }, { type: 'signal-leftovers', runId, signal: 'SIGKILL' }, { type: 'arm', runId, timer: 'escalate', duration: { ms: KILL_WAIT_MS } }]
    : [{ type: 'reap', runId }, linger];
  const phase = killing ? 'reaping-killing' : 'reaping';
  if (asked) {
    return {
      state: { ...state, phase, exit },
      effects: [{ type: 'disarm' }, notify({ type: 'ended', runId, exit, asked: true }), ...rungs],
    };
  }
  // Ended unasked (a crash or a clean exit). A change seen while it was starting still deserves a new child.
  const pending = state.kind === 'starting' ? state.pending : null;
  let after: AfterExit = pending ? { kind: 'start' } : { kind: 'wait' };
  let crashes = state.crashes;
  const retry: Effect[] = [];
  if (!pending && exit.code !== 0 && policy.onCrash === 'exit') after = { kind: 'exit' };
  if (!pending && exit.code !== 0 && policy.onCrash === 'restart') {
    crashes = (crashes ?? 0) + 1;
    after = { kind: 'retry', inMs: backoffMs(crashes), attempt: crashes };
    retry.push({ type: 'arm', runId, timer: 'retry', duration: { ms: after.inMs } });
  }
  const next = after.kind === 'start' ? 'start' : after.kind === 'exit' ? 'close' : 'wait';
  return {
    state: { kind: 'stopping', runId, sdk: state.sdk, phase, next, trigger: pending, exit, ...withCrashes(crashes) },
    effects: [{ type: 'disarm' }, notify({ type: 'ended', runId, exit, asked: false, ...(after.kind === 'wait' && !crashes ? {} : { after }) }), ...rungs, ...retry],
  };
}

function reaped(state: Stopping, policy: Policy, effects: Effect[] = []): Step {
  const exit = state.exit ?? { code: null, signal: null };
  const { runId, crashes } = state;
  const step = (s: Step): Step => ({ state: s.state, effects: [...effects, ...s.effects] });
  if (state.next === 'start' && state.trigger && !state.trigger.settled) {
    // The old tree is gone but files are still changing: start once they have settled.
    return step(same({ kind: 'settling', runId, trigger: state.trigger, exit, ...withCrashes(crashes) }));
  }
  if (state.next === 'start') return step(startNext(policy, runId, state.trigger, crashes, exit));
  if (state.next === 'wait') return step(same({ kind: 'waiting', runId, exit, ...withCrashes(crashes) }));
  const exitCode = exitCodeOf(exit);
  return step({ state: { kind: 'closed', exitCode }, effects: [{ type: 'finish', exitCode }] });
}

const reaping = (state: Stopping) => state.phase.startsWith('reaping');
/** The run's process has not exited yet. */
const lives = (state: State): state is Extract<State, { kind: 'starting' | 'running' | 'stopping' }> =>
  state.kind === 'starting' || state.kind === 'running' || (state.kind === 'stopping' && !reaping(state));

function close(state: State): Step {
  switch (state.kind) {
    case 'idle':
      return { state: { kind: 'closed', exitCode: 0 }, effects: [{ type: 'finish', exitCode: 0 }] };
    case 'settling':
    case 'waiting':
    case 'building': {
      // Nothing runs (a build step that is under way is ended by the finish): closed at once.
      const exitCode = exitCodeOf(state.exit ?? null);
      return { state: { kind: 'closed', exitCode }, effects: [notify({ type: 'closing', runId: null }), { type: 'finish', exitCode }] };
    }
    case 'starting':
    case 'running': {
      const stop = beginStop(state, 'close', null);
      return { state: stop.state, effects: [notify({ type: 'closing', runId: state.runId }), ...stop.effects] };
    }
    case 'stopping':
      if (state.next !== 'close') return { state: { ...state, next: 'close' }, effects: [notify({ type: 'closing', runId: state.runId })] };
      // Asked to close twice (second Ctrl-C): stop waiting, SIGKILL the tree now.
      if (reaping(state) || state.phase === 'killing') return same(state);
      return {
        state: { ...state, phase: 'killing' },
        effects: [
          { type: 'disarm' },
          notify({ type: 'escalated', runId: state.runId, phase: 'killing', forced: true, waited: 'stopTimeout' }),
          { type: 'signal', runId: state.runId, signal: 'SIGKILL', tree: true },
        ],
      };
    default:
      return same(state);
  }
}

export function ladder(state: State, event: Event, policy: Policy): Step {
  switch (event.type) {
    case 'escalate':
      return state.kind === 'stopping' ? escalate(state, policy) : same(state);

    case 'extend': {
      // Only while the app is still being asked nicely; once signalled, the ladder goes on. Never past
      // maxStopTimeout after the request to stop, and never earlier than the deadline already set.
      if (state.kind !== 'stopping' || state.phase !== 'graceful') return same(state);
      const max = policy.maxStopTimeout;
      const granted = Math.max(0, Math.min(event.ms, max - (event.elapsedMs ?? 0)));
      const refused = granted <= (event.deadlineInMs ?? 0);
      const said = notify({ type: 'extended', runId: state.runId, askedMs: event.ms, grantedMs: refused ? 0 : granted, maxMs: max });
      if (refused) return { state, effects: [said] };
      return { state, effects: [said, { type: 'arm', runId: state.runId, timer: 'escalate', duration: { ms: granted } }] };
    }

    case 'shutdown-done': {
      // Believed only while the app is being stopped and has not exited: a report sent at any other time is noise.
      if (state.kind !== 'stopping' || reaping(state) || state.done) return same(state);
      const { results, openHandles } = event;
      return { state: { ...state, done: true }, effects: [notify({ type: 'cleanups', runId: state.runId, results, openHandles })] };
    }

    case 'retry':
      // The crash backoff is over. While what is left of the crashed run is still being reaped, the start waits for it.
      if (state.kind === 'waiting') return transitionRestart(state, policy);
      if (state.kind === 'stopping' && state.next === 'wait') {
        const trigger = { reason: 'crash' as const, paths: [], settled: true };
        return { state: { ...state, next: 'start', trigger }, effects: [notify({ type: 'restarting', runId: state.runId, trigger, from: 'waiting' })] };
      }
      return same(state);

    case 'exited':
      if (state.kind === 'starting' || state.kind === 'running') return exited(state, event.exit, policy);
      if (state.kind === 'stopping' && !reaping(state)) return exited(state, event.exit, policy);
      return same(state);

    case 'exiting':
      return lives(state) ? { state, effects: [{ type: 'arm', runId: state.runId, timer: 'debugger', duration: { ms: HELD_MS } }] } : same(state);

    case 'debugger':
      // Its code and cleanups are done, its exit code said: ending it loses nothing, and frees the inspector port.
      return lives(state) ? { state, effects: [notify({ type: 'debugger-held', runId: state.runId }), { type: 'end', runId: state.runId }] } : same(state);

    case 'reaped':
      return state.kind === 'stopping' && reaping(state) ? reaped(state, policy) : same(state);

    case 'close':
      return close(state);

    default:
      return same(state);
  }
}

function transitionRestart(state: Extract<State, { kind: 'waiting' }>, policy: Policy): Step {
  const trigger = { reason: 'crash' as const, paths: [], settled: true };
  const next = startNext(policy, state.runId, trigger, state.crashes, state.exit);
  return { state: next.state, effects: [notify({ type: 'restarting', runId: state.runId, trigger, from: 'waiting' }), ...next.effects] };
}
