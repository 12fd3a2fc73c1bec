// The machine's building blocks, shared by its rows: the step that changes nothing, a notice, the next spawn, the
// first rung of a stop, the crash backoff and the exit code. Pure.
import { constants } from 'node:os';
import type { StopReason } from '../protocol/messages.js';
import type { Effect, Exit, Notice, Policy, State, Step, Trigger } from './state.js';

export const same = (state: State): Step => ({ state, effects: [] });
export const notify = (notice: Notice): Effect => ({ type: 'notify', notice });

export function mergeTriggers(a: Trigger | null, b: Trigger): Trigger {
  if (!a) return b;
  const paths = [...a.paths];
  for (const p of b.paths) if (!paths.includes(p)) paths.push(p);
  // Settled only if the newest part is: a change that just arrived opens a new quiet period.
  const reason = a.reason === 'change' ? b.reason : a.reason;
  return { reason, paths, settled: b.settled };
}

/** The exit code devsup itself ends with: the app's, or 128 + signal number when it was killed. */
export function exitCodeOf(exit: Exit | null): number {
  if (!exit) return 0;
  if (exit.code !== null) return exit.code;
  const number = exit.signal ? constants.signals[exit.signal as keyof typeof constants.signals] : undefined;
  return number ? 128 + number : 1;
}

/** Crashes in a row, as a state field: absent when none, so that states without crashes stay as they were. */
export const withCrashes = (crashes: number | undefined) => (crashes ? { crashes } : {});

export function spawnNext(policy: Policy, runId: number, trigger: Trigger | null, crashes?: number): Step {
  // A change or a person starts a new version: its crashes, if any, are its own.
  const kept = trigger?.reason === 'crash' ? crashes : undefined;
  // A start that waits for a debugger has its ready timeout counted by the preload, in the app's running time ('ran').
  const ready: Effect[] = policy.awaitsDebugger ? [] : [{ type: 'arm', runId, timer: 'ready', duration: 'readyTimeout' }];
  return {
    state: { kind: 'starting', runId, sdk: false, pending: null, ...withCrashes(kept) },
    effects: [{ type: 'spawn', runId, trigger }, ...ready],
  };
}

/**
 * The next start, after run `runId` (0: the first): spawned at once, or (policy.gated) through 'building', where the
 * build step and the wait for dependencies run first. `exit`: the old run's, for the exit code if closed meanwhile.
 */
export function startNext(policy: Policy, runId: number, trigger: Trigger | null, crashes?: number, exit?: Exit): Step {
  if (!policy.gated) return spawnNext(policy, runId + 1, trigger, crashes);
  const kept = trigger?.reason === 'crash' ? crashes : undefined;
  return {
    state: { kind: 'building', runId, trigger, ...(exit ? { exit } : {}), ...withCrashes(kept) },
    effects: [{ type: 'disarm' }, { type: 'build', runId, trigger }],
  };
}

// The first rung of the ladder: ask over IPC when the app speaks the protocol, else send the configured signal.
export function beginStop(state: { runId: number; sdk: boolean; crashes?: number }, next: 'start' | 'close', trigger: Trigger | null): Step {
  const { runId, sdk } = state;
  const reason: StopReason = next === 'close' ? 'exit' : trigger?.reason === 'change' ? 'restart' : 'manual';
  const ask: Effect = sdk
    ? { type: 'send-shutdown', runId, reason, changed: trigger?.paths ?? [] }
    : // The whole tree, as a terminal's Ctrl-C does: behind a shell wrapper, the real app gets it too.
      { type: 'signal', runId, signal: 'stop', tree: true };
  return {
    state: { kind: 'stopping', runId, sdk, phase: sdk ? 'graceful' : 'terminating', next, trigger, exit: null, ...withCrashes(state.crashes) },
    effects: [{ type: 'disarm' }, ask, { type: 'arm', runId, timer: 'escalate', duration: 'stopTimeout' }, ...(next === 'start' ? [{ type: 'prepare' } as const] : [])],
  };
}


/** onCrash 'restart': 100 ms, doubling with each crash in a row, at most 10 s. */
export const backoffMs = (crashes: number) => Math.min(100 * 2 ** (crashes - 1), 10_000);
