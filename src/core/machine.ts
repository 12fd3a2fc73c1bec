// The supervisor's state machine: transition(state, event) → { state, effects }. Pure: no I/O, no timers, no clock.
// The shell (supervisor.ts) performs the effects and feeds what happens back in as events.
import { constants } from 'node:os';
import type { StopReason } from '../protocol/messages.js';

export interface Exit {
  code: number | null;
  signal: string | null;
}

/**
 * Why a restart was asked for: files changed, or a person/API asked (`rs`, restart()). `settled` turns true once no
 * change has arrived for the quiet period: the next child starts only then, so that a burst is one restart.
 */
export interface Trigger {
  reason: 'change' | 'manual' | 'crash';
  paths: string[];
  settled: boolean;
}

/** Teardown ladder: asked over IPC → signalled → SIGKILLed → exited, waiting for its descendants to be gone. */
export type Phase = 'graceful' | 'terminating' | 'killing' | 'reaping';
/** What follows the teardown: a new child, waiting for a change (the app ended on its own), or the end. */
export type Next = 'start' | 'wait' | 'close';

export type State =
  | { kind: 'idle' }
  | { kind: 'starting'; runId: number; sdk: boolean; pending: Trigger | null }
  | { kind: 'running'; runId: number; sdk: boolean }
  | { kind: 'stopping'; runId: number; sdk: boolean; phase: Phase; next: Next; trigger: Trigger | null; exit: Exit | null }
  | { kind: 'settling'; runId: number; trigger: Trigger; exit: Exit }
  | { kind: 'waiting'; runId: number; exit: Exit }
  | { kind: 'closed'; exitCode: number };

export type Event =
  | { type: 'start' }
  | { type: 'hello'; runId: number }
  /** The app closed its end of the IPC channel: from now on it is asked with a signal. */
  | { type: 'disconnected'; runId: number }
  /**
   * The app said it is ready (or the ready timeout passed). `inApp`: changed paths that the app loaded after they
   * changed (a file it generated, then imported), which need no restart; the shell knows, from the module reports.
   */
  | { type: 'ready'; runId: number; inApp?: string[] }
  | { type: 'ready-timeout'; runId: number; inApp?: string[] }
  | { type: 'changed'; paths: string[] }
  | { type: 'settled' }
  | { type: 'restart'; reason?: 'manual' | 'crash' }
  | { type: 'escalate'; runId: number }
  /** The app asked for more time; the shell has already capped `ms` to maxStopTimeout. */
  | { type: 'extend'; runId: number; ms: number }
  | { type: 'exited'; runId: number; exit: Exit }
  | { type: 'reaped'; runId: number }
  | { type: 'close' };

/** Which configured duration a timer runs for. */
export type Duration = 'readyTimeout' | 'stopTimeout' | 'killGrace';

/** What happened, for logs and the API's events; the shell adds timings and reports. */
export type Notice =
  | { type: 'restarting'; runId: number; trigger: Trigger; from: 'running' | 'waiting' | 'starting' }
  | { type: 'deferred'; runId: number; trigger: Trigger }
  | { type: 'ready'; runId: number; via: 'message' | 'timeout' }
  | { type: 'escalated'; runId: number; phase: 'terminating' | 'killing'; forced: boolean; waited: Duration }
  | { type: 'ended'; runId: number; exit: Exit; asked: boolean }
  | { type: 'closing'; runId: number | null };

export type Effect =
  | { type: 'spawn'; runId: number; trigger: Trigger | null }
  | { type: 'send-shutdown'; runId: number; reason: StopReason; changed: string[] }
  | { type: 'signal'; runId: number; signal: 'stop' | 'SIGKILL'; tree: boolean }
  | { type: 'arm'; runId: number; timer: 'ready' | 'escalate'; duration: Duration | { ms: number } }
  | { type: 'disarm' }
  | { type: 'reap'; runId: number }
  | { type: 'notify'; notice: Notice }
  | { type: 'finish'; exitCode: number };

export interface Step {
  state: State;
  effects: Effect[];
}

export const initialState: State = { kind: 'idle' };

const same = (state: State): Step => ({ state, effects: [] });

export function mergeTriggers(a: Trigger | null, b: Trigger): Trigger {
  if (!a) return b;
  const paths = [...a.paths];
  for (const p of b.paths) if (!paths.includes(p)) paths.push(p);
  // Settled only if the newest part is: a change that just arrived opens a new quiet period.
  const reason = a.reason === 'change' ? b.reason : a.reason;
  return { reason, paths, settled: b.settled };
}

const settle = (trigger: Trigger | null): Trigger | null => (trigger ? { ...trigger, settled: true } : null);

/** A pending trigger without the changes the child already has; nothing left of a change is no trigger at all. */
function withoutInApp(trigger: Trigger | null, inApp: readonly string[]): Trigger | null {
  if (!trigger || inApp.length === 0) return trigger;
  const paths = trigger.paths.filter((p) => !inApp.includes(p));
  if (paths.length === 0 && trigger.reason === 'change') return null;
  return { ...trigger, paths };
}

/** The exit code devsup itself ends with: the app's, or 128 + signal number when it was killed. */
export function exitCodeOf(exit: Exit | null): number {
  if (!exit) return 0;
  if (exit.code !== null) return exit.code;
  const number = exit.signal ? constants.signals[exit.signal as keyof typeof constants.signals] : undefined;
  return number ? 128 + number : 1;
}

function spawnNext(runId: number, trigger: Trigger | null): Step {
  return {
    state: { kind: 'starting', runId, sdk: false, pending: null },
    effects: [
      { type: 'spawn', runId, trigger },
      { type: 'arm', runId, timer: 'ready', duration: 'readyTimeout' },
    ],
  };
}

// The first rung of the ladder: ask over IPC when the app speaks the protocol, else send the configured signal.
function beginStop(runId: number, sdk: boolean, next: Next, trigger: Trigger | null): Step {
  const reason: StopReason = next === 'close' ? 'exit' : trigger?.reason === 'change' ? 'restart' : 'manual';
  const ask: Effect = sdk
    ? { type: 'send-shutdown', runId, reason, changed: trigger?.paths ?? [] }
    : // The whole tree, as a terminal's Ctrl-C does: behind a shell wrapper, the real app gets it too.
      { type: 'signal', runId, signal: 'stop', tree: true };
  return {
    state: { kind: 'stopping', runId, sdk, phase: sdk ? 'graceful' : 'terminating', next, trigger, exit: null },
    effects: [{ type: 'disarm' }, ask, { type: 'arm', runId, timer: 'escalate', duration: 'stopTimeout' }],
  };
}

const isStale = (state: State, event: Event): boolean =>
  'runId' in event && (!('runId' in state) || state.runId !== event.runId);

export function transition(state: State, event: Event): Step {
  // Timers and messages of an earlier child can arrive late; they never touch the current one.
  if (isStale(state, event)) return same(state);

  switch (event.type) {
    case 'start':
      return state.kind === 'idle' ? spawnNext(1, null) : same(state);

    case 'hello':
      if (state.kind === 'starting') {
        // The app's modules are loaded (devsup/child runs before the app's own code): the ready timeout counts
        // from here, so that a slow boot (a cold TypeScript cache, a busy machine) does not pre-empt ready().
        return {
          state: { ...state, sdk: true },
          effects: [{ type: 'arm', runId: state.runId, timer: 'ready', duration: 'readyTimeout' }],
        };
      }
      if (state.kind === 'running') return same({ ...state, sdk: true });
      return same(state);

    case 'disconnected':
      if (state.kind === 'starting' || state.kind === 'running') return same({ ...state, sdk: false });
      return same(state);

    case 'ready':
    case 'ready-timeout': {
      const via = event.type === 'ready' ? 'message' : 'timeout';
      if (state.kind === 'running' && via === 'message') {
        // ready() after the timeout already counted the start: still worth reporting when it came.
        return { state, effects: [{ type: 'notify', notice: { type: 'ready', runId: state.runId, via } }] };
      }
      if (state.kind !== 'starting') return same(state);
      const notify: Effect = { type: 'notify', notice: { type: 'ready', runId: state.runId, via } };
      const pending = withoutInApp(state.pending, event.inApp ?? []);
      if (!pending) {
        return { state: { kind: 'running', runId: state.runId, sdk: state.sdk }, effects: [{ type: 'disarm' }, notify] };
      }
      // A change arrived after the spawn and is not in this child: exactly one follow-up restart, now.
      const stop = beginStop(state.runId, state.sdk, 'start', pending);
      const restarting: Effect = {
        type: 'notify',
        notice: { type: 'restarting', runId: state.runId, trigger: pending, from: 'starting' },
      };
      return { state: stop.state, effects: [notify, restarting, ...stop.effects] };
    }

    case 'changed':
    case 'restart': {
      const trigger: Trigger =
        event.type === 'changed'
          ? { reason: 'change', paths: event.paths, settled: false }
          : { reason: event.reason ?? 'manual', paths: [], settled: true };
      switch (state.kind) {
        case 'starting': {
          if (!state.sdk) {
            // Nothing will say ready (no devsup/child, or not loaded yet): waiting would only delay the restart.
            const stop = beginStop(state.runId, false, 'start', trigger);
            const notice: Notice = { type: 'restarting', runId: state.runId, trigger, from: 'starting' };
            return { state: stop.state, effects: [{ type: 'notify', notice }, ...stop.effects] };
          }
          // Said once per deferral: a second save (or the second half of one: truncate, then write) only merges.
          const pending = mergeTriggers(state.pending, trigger);
          if (state.pending) return same({ ...state, pending });
          return { state: { ...state, pending }, effects: [{ type: 'notify', notice: { type: 'deferred', runId: state.runId, trigger } }] };
        }
        case 'running': {
          // At once, on the first change: the teardown overlaps the rest of a burst instead of waiting it out.
          const stop = beginStop(state.runId, state.sdk, 'start', trigger);
          const notice: Notice = { type: 'restarting', runId: state.runId, trigger, from: 'running' };
          return { state: stop.state, effects: [{ type: 'notify', notice }, ...stop.effects] };
        }
        case 'stopping': {
          // Merged into the teardown under way: never a second request, never an escalation because of a save.
          if (state.next === 'close') return same(state);
          const merged = { ...state, next: 'start' as const, trigger: mergeTriggers(state.trigger, trigger) };
          if (state.next === 'start') return same(merged);
          // The app had ended on its own and its tree is being reaped: this change is what starts it again.
          const notice: Notice = { type: 'restarting', runId: state.runId, trigger, from: 'waiting' };
          return { state: merged, effects: [{ type: 'notify', notice }] };
        }
        case 'settling': {
          const merged = mergeTriggers(state.trigger, trigger);
          return merged.settled ? spawnNext(state.runId + 1, merged) : same({ ...state, trigger: merged });
        }
        case 'waiting': {
          const notice: Notice = { type: 'restarting', runId: state.runId, trigger, from: 'waiting' };
          if (trigger.settled) {
            const next = spawnNext(state.runId + 1, trigger);
            return { state: next.state, effects: [{ type: 'notify', notice }, ...next.effects] };
          }
          return {
            state: { kind: 'settling', runId: state.runId, trigger, exit: state.exit },
            effects: [{ type: 'notify', notice }],
          };
        }
        default:
          return same(state);
      }
    }

    case 'settled':
      switch (state.kind) {
        case 'starting':
          return same({ ...state, pending: settle(state.pending) });
        case 'stopping':
          return same({ ...state, trigger: settle(state.trigger) });
        case 'settling':
          return spawnNext(state.runId + 1, settle(state.trigger));
        default:
          return same(state);
      }

    case 'escalate': {
      if (state.kind !== 'stopping') return same(state);
      if (state.phase === 'graceful') {
        return {
          state: { ...state, phase: 'terminating' },
          effects: [
            {
              type: 'notify',
              notice: { type: 'escalated', runId: state.runId, phase: 'terminating', forced: false, waited: 'stopTimeout' },
            },
            { type: 'signal', runId: state.runId, signal: 'stop', tree: true },
            { type: 'arm', runId: state.runId, timer: 'escalate', duration: 'killGrace' },
          ],
        };
      }
      if (state.phase === 'terminating') {
        // Without the SDK the signal was the first rung, so the wait was the stop timeout, not the kill grace.
        const waited: Duration = state.sdk ? 'killGrace' : 'stopTimeout';
        return {
          state: { ...state, phase: 'killing' },
          effects: [
            { type: 'notify', notice: { type: 'escalated', runId: state.runId, phase: 'killing', forced: false, waited } },
            { type: 'signal', runId: state.runId, signal: 'SIGKILL', tree: true },
          ],
        };
      }
      return same(state);
    }

    case 'extend':
      // Only while the app is still being asked nicely; once signalled, the ladder goes on.
      if (state.kind !== 'stopping' || state.phase !== 'graceful') return same(state);
      return { state, effects: [{ type: 'arm', runId: state.runId, timer: 'escalate', duration: { ms: event.ms } }] };

    case 'exited': {
      if (state.kind === 'starting' || state.kind === 'running') {
        // Ended unasked (crash or clean exit). A change seen while it was starting still deserves a new child.
        const pending = state.kind === 'starting' ? state.pending : null;
        return {
          state: {
            kind: 'stopping',
            runId: state.runId,
            sdk: state.sdk,
            phase: 'reaping',
            next: pending ? 'start' : 'wait',
            trigger: pending,
            exit: event.exit,
          },
          effects: [
            { type: 'disarm' },
            { type: 'notify', notice: { type: 'ended', runId: state.runId, exit: event.exit, asked: false } },
            { type: 'reap', runId: state.runId },
          ],
        };
      }
      if (state.kind === 'stopping' && state.phase !== 'reaping') {
        return {
          state: { ...state, phase: 'reaping', exit: event.exit },
          effects: [
            { type: 'disarm' },
            { type: 'notify', notice: { type: 'ended', runId: state.runId, exit: event.exit, asked: true } },
            { type: 'reap', runId: state.runId },
          ],
        };
      }
      return same(state);
    }

    case 'reaped': {
      if (state.kind !== 'stopping' || state.phase !== 'reaping') return same(state);
      const exit = state.exit ?? { code: null, signal: null };
      if (state.next === 'start' && state.trigger && !state.trigger.settled) {
        // The old tree is gone but files are still changing: start once they have settled.
        return same({ kind: 'settling', runId: state.runId, trigger: state.trigger, exit });
      }
      if (state.next === 'start') return spawnNext(state.runId + 1, state.trigger);
      if (state.next === 'wait') return same({ kind: 'waiting', runId: state.runId, exit });
      const exitCode = exitCodeOf(exit);
      return { state: { kind: 'closed', exitCode }, effects: [{ type: 'finish', exitCode }] };
    }

    case 'close': {
      switch (state.kind) {
        case 'idle':
          return { state: { kind: 'closed', exitCode: 0 }, effects: [{ type: 'finish', exitCode: 0 }] };
        case 'settling':
        case 'waiting': {
          const exitCode = exitCodeOf(state.exit);
          return {
            state: { kind: 'closed', exitCode },
            effects: [
              { type: 'notify', notice: { type: 'closing', runId: null } },
              { type: 'finish', exitCode },
            ],
          };
        }
        case 'starting':
        case 'running': {
          const stop = beginStop(state.runId, state.sdk, 'close', null);
          return {
            state: stop.state,
            effects: [{ type: 'notify', notice: { type: 'closing', runId: state.runId } }, ...stop.effects],
          };
        }
        case 'stopping':
          if (state.next !== 'close') {
            const notice: Notice = { type: 'closing', runId: state.runId };
            return { state: { ...state, next: 'close' }, effects: [{ type: 'notify', notice }] };
          }
          // Asked to close twice (second Ctrl-C): stop waiting, SIGKILL the tree now.
          if (state.phase === 'reaping' || state.phase === 'killing') return same(state);
          return {
            state: { ...state, phase: 'killing' },
            effects: [
              { type: 'disarm' },
              {
                type: 'notify',
                notice: { type: 'escalated', runId: state.runId, phase: 'killing', forced: true, waited: 'stopTimeout' },
              },
              { type: 'signal', runId: state.runId, signal: 'SIGKILL', tree: true },
            ],
          };
        default:
          return same(state);
      }
    }
  }
}
