// The supervisor's state machine: transition(state, event, policy) → { state, effects }. Pure: no I/O, no timers, no
// clock. Every decision is a row here; the shell (supervisor/) performs the effects and feeds what happens back in.
import { ladder } from './ladder.js';
import type { Effect, Event, Policy, State, Step, Trigger } from './state.js';
import { backoffMs, spawnNext, beginStop, mergeTriggers, notify, same, startNext, withCrashes } from './steps.js';

export { exitCodeOf, mergeTriggers } from './steps.js';

export type * from './state.js';

export const initialState: State = { kind: 'idle' };
const defaultPolicy: Policy = { onCrash: 'wait', maxStopTimeout: 30_000 };

const settle = (trigger: Trigger | null): Trigger | null => (trigger ? { ...trigger, settled: true } : null);

/** A pending trigger without the changes the child already has; nothing left of a change is no trigger at all. */
function withoutInApp(trigger: Trigger | null, inApp: readonly string[]): Trigger | null {
  if (!trigger || inApp.length === 0) return trigger;
  const paths = trigger.paths.filter((p) => !inApp.includes(p));
  if (paths.length === 0 && trigger.reason === 'change') return null;
  return { ...trigger, paths };
}


const isStale = (state: State, event: Event): boolean =>
  'runId' in event && (!('runId' in state) || state.runId !== event.runId);

// How long an app must stay up after ready before its crashes are forgiven (or ten times the backoff, if longer).
const STABLE_MS = 5000;

function ready(state: State, via: 'message' | 'timeout', inApp: readonly string[], policy: Policy): Step {
  if (state.kind === 'running') {
    // ready() after the timeout already counted the start: still worth reporting when it came, once. Any other ready
    // in 'running' (sent again, or a flood of them) is nothing: no line, no snapshot, no work that could delay a rung.
    if (via !== 'message' || !state.readyLate) return same(state);
    const { readyLate: _said, ...told } = state;
    return { state: told, effects: [notify({ type: 'ready', runId: state.runId, via })] };
  }
  if (state.kind !== 'starting') return same(state);
  const { runId, crashes } = state;
  const said: Effect[] = [notify({ type: 'ready', runId, via })];
  const pending = withoutInApp(state.pending, inApp);
  const had = state.pending?.paths.filter((p) => inApp.includes(p)) ?? [];
  if (state.pending && had.length > 0) {
    const all = had.length === state.pending.paths.length && state.pending.reason === 'change';
    said.push(notify({ type: 'in-app', runId, trigger: { ...state.pending, paths: had }, all }));
  }
  if (!pending) {
    const stable: Effect[] = crashes ? [{ type: 'arm', runId, timer: 'stable', duration: { ms: Math.max(STABLE_MS, 10 * backoffMs(crashes)) } }] : [];
    const late = via === 'timeout' ? { readyLate: true as const } : {};
    const warm: Effect[] = policy.warmStandby ? [{ type: 'prepare' }] : [];
    return { state: { kind: 'running', runId, sdk: state.sdk, ...withCrashes(crashes), ...late }, effects: [{ type: 'disarm' }, ...said, ...stable, ...warm] };
  }
  // A change arrived after the spawn and is not in this child: exactly one follow-up restart, now.
  const stop = beginStop(state, 'start', pending);
  return { state: stop.state, effects: [...said, notify({ type: 'restarting', runId, trigger: pending, from: 'starting' }), ...stop.effects] };
}

function changed(state: State, trigger: Trigger, loop: Extract<Event, { type: 'changed' }>['loop'], policy: Policy): Step {
  switch (state.kind) {
    case 'starting':
    case 'running': {
      // The loop guard's verdict counts only while the app runs or starts: a file the app keeps writing.
      if (loop?.kind === 'held') return { state, effects: [notify({ type: 'held', runId: state.runId, paths: trigger.paths })] };
      if (loop?.kind === 'paused') {
        return { state, effects: [notify({ type: 'paused', runId: state.runId, path: loop.path, restarts: loop.restarts })] };
      }
      if (state.kind === 'running' || !state.sdk) {
        // At once, on the first change: the teardown overlaps the rest of a burst instead of waiting it out. (A start
        // with nothing that will say ready — no devsup/child, or not loaded yet — gains nothing by waiting either.)
        const stop = beginStop(state, 'start', trigger);
        const from = state.kind;
        return { state: stop.state, effects: [notify({ type: 'restarting', runId: state.runId, trigger, from }), ...stop.effects] };
      }
      // Said once per deferral: a second save (or the second half of one: truncate, then write) only merges.
      const pending = mergeTriggers(state.pending, trigger);
      if (state.pending) return same({ ...state, pending });
      return { state: { ...state, pending }, effects: [notify({ type: 'deferred', runId: state.runId, trigger })] };
    }
    case 'stopping': {
      // Merged into the teardown under way: never a second request, never an escalation because of a save.
      if (state.next === 'close') return same(state);
      const merged = { ...state, next: 'start' as const, trigger: mergeTriggers(state.trigger, trigger) };
      if (state.next === 'start') return same(merged);
      // The app had ended on its own and its tree is being reaped: this change is what starts it again.
      return { state: merged, effects: [notify({ type: 'restarting', runId: state.runId, trigger, from: 'waiting' })] };
    }
    case 'settling': {
      const merged = mergeTriggers(state.trigger, trigger);
      return merged.settled ? startNext(policy, state.runId, merged, state.crashes, state.exit) : same({ ...state, trigger: merged });
    }
    case 'waiting': {
      const notice = notify({ type: 'restarting', runId: state.runId, trigger, from: 'waiting' });
      if (trigger.settled) {
        const next = startNext(policy, state.runId, trigger, state.crashes, state.exit);
        return { state: next.state, effects: [notice, ...next.effects] };
      }
      return { state: { kind: 'settling', runId: state.runId, trigger, exit: state.exit, ...withCrashes(state.crashes) }, effects: [notice] };
    }
    case 'building':
      // What is being built may not have this change: once built, build again (a change starts no second build at once).
      return same({ ...state, trigger: mergeTriggers(state.trigger, trigger), again: true });
    default:
      return same(state);
  }
}

// A start builds at most this many more times for changes seen while it built (then it starts with the latest build).
export const MAX_REBUILDS = 3;

// A warm standby boots at ready, or this long after a spawn for an app that never says ready (counted ready only
// after readyTimeout): after the new app's own boot, which it would otherwise slow, and before a person's next save.
export const WARM_AFTER_MS = 600;

export function transition(state: State, event: Event, policy: Policy = defaultPolicy): Step {
  const step = decide(state, event, policy);
  if (!policy.warmStandby) return step;
  // Every spawn, with a warm standby wanted, arms the timer that boots the next one.
  const spawned = step.effects.find((e) => e.type === 'spawn');
  if (!spawned) return step;
  return { state: step.state, effects: [...step.effects, { type: 'arm', runId: spawned.runId, timer: 'warm', duration: { ms: WARM_AFTER_MS } }] };
}

function decide(state: State, event: Event, policy: Policy): Step {
  // Timers and messages of an earlier child can arrive late; they never touch the current one.
  if (isStale(state, event)) return same(state);

  switch (event.type) {
    case 'start':
      return state.kind === 'idle' ? startNext(policy, 0, null) : same(state);

    case 'hello':
      // Only the first hello counts: one sent again must not re-arm the ready timer (forever, if it repeats).
      if (state.kind === 'starting' && !state.sdk) {
        if (policy.awaitsDebugger) return same({ ...state, sdk: true }); // the preload counts it ('ran')
        // The app's modules are loaded (devsup/child runs before the app's own code): the ready timeout counts
        // from here, so that a slow boot (a cold TypeScript cache, a busy machine) does not pre-empt ready().
        return { state: { ...state, sdk: true }, effects: [{ type: 'arm', runId: state.runId, timer: 'ready', duration: 'readyTimeout' }] };
      }
      if (state.kind === 'running' && !state.sdk) return same({ ...state, sdk: true });
      return same(state);

    case 'disconnected':
      if (state.kind === 'starting' || state.kind === 'running') return same({ ...state, sdk: false });
      return same(state);

    case 'ready':
    case 'ready-timeout':
      return ready(state, event.type === 'ready' ? 'message' : 'timeout', event.inApp ?? [], policy);

    case 'warm':
      return state.kind === 'starting' || state.kind === 'running' ? { state, effects: [{ type: 'prepare' }] } : same(state);

    case 'stable':
      if (state.kind !== 'running' || !state.crashes) return same(state);
      return same({ kind: 'running', runId: state.runId, sdk: state.sdk, ...(state.readyLate ? { readyLate: true as const } : {}) });

    case 'changed':
      return changed(state, { reason: 'change', paths: event.paths, settled: false }, event.loop, policy);

    case 'restart': {
      const why = event.why === undefined ? {} : { why: event.why };
      return changed(state, { reason: event.reason ?? 'manual', paths: event.paths ?? [], settled: true, ...why }, undefined, policy);
    }

    case 'built':
      if (state.kind !== 'building') return same(state);
      if (state.again && (state.rebuilds ?? 0) < MAX_REBUILDS) {
        const next = startNext(policy, state.runId, state.trigger, state.crashes, state.exit);
        return next.state.kind === 'building' ? { ...next, state: { ...next.state, rebuilds: (state.rebuilds ?? 0) + 1 } } : next;
      }
      if (state.again) {
        // Each build saw a change: most likely its own output, watched. The latest build starts; said once.
        const said = notify({ type: 'build-loop', runId: state.runId, builds: MAX_REBUILDS + 1, paths: state.trigger?.paths ?? [] });
        const next = spawnNext(policy, state.runId + 1, state.trigger, state.crashes);
        return { state: next.state, effects: [said, ...next.effects] };
      }
      return spawnNext(policy, state.runId + 1, state.trigger, state.crashes);

    case 'build-failed': {
      // Nothing starts: the next change (or rs) builds again. The failure is the exit devsup would end with now.
      if (state.kind !== 'building') return same(state);
      const { runId, exit, why } = event;
      const notice = notify({ type: 'build-failed', runId, exit, ...(why === undefined ? {} : { why }) });
      return { state: { kind: 'waiting', runId, exit, ...withCrashes(state.crashes) }, effects: [notice] };
    }

    case 'ran':
      // Under --inspect-brk the time a debugger takes to attach, and the app's pauses in it, are not its start.
      return policy.awaitsDebugger ? ready(state, 'timeout', event.inApp ?? [], policy) : same(state);

    case 'settled':
      switch (state.kind) {
        case 'starting':
          return same({ ...state, pending: settle(state.pending) });
        case 'stopping':
          return same({ ...state, trigger: settle(state.trigger) });
        case 'settling':
          return startNext(policy, state.runId, settle(state.trigger), state.crashes, state.exit);
        default:
          return same(state);
      }

    default:
      return ladder(state, event, policy);
  }
}
