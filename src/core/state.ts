// The machine's vocabulary: its states (one tagged union that carries its data), the events it is fed, the effects
// it returns and the notices it gives for the log and the API. Types only.
import type { StopReason } from '../protocol/messages.js';

export interface Exit {
  code: number | null;
  signal: string | null;
}

/**
 * Why a restart was asked for: files changed, or a person/API asked (`rs`, restart()), or the crash policy.
 * `settled` turns true once no change has arrived for the quiet period: the next child starts only then, so that a
 * burst is one restart.
 */
export interface Trigger {
  reason: 'change' | 'manual' | 'crash';
  paths: string[];
  settled: boolean;
  /** The caller's own words for a restart it asked for (restart({ reason })), shown instead of "restart requested". */
  why?: string;
}

/**
 * The teardown ladder: asked over IPC → signalled → SIGKILLed → exited. Then the reap's rungs, for what is left of
 * the run: given a moment to end on its own → SIGTERM → SIGKILL.
 */
export type Phase = 'graceful' | 'terminating' | 'killing' | 'reaping' | 'reaping-terminating' | 'reaping-killing';
/** What follows the teardown: a new child, waiting for a change (the app ended on its own), or the end. */
export type Next = 'start' | 'wait' | 'close';

/** What the machine needs to know of the options: the decisions that depend on them. */
export interface Policy {
  onCrash: 'wait' | 'restart' | 'exit';
  /** The longest a stop may take, from the request, when the app asks for more time. */
  maxStopTimeout: number;
  /** Keep the next app's process booted (a standby) while the app runs, not only once a restart begins. */
  warmStandby?: boolean;
  /**
   * Every start passes through 'building' first: the shell runs what must come before it (the build step, and in a
   * services run the wait for the services it depends on) and says 'built' or 'build-failed'.
   */
  gated?: boolean;
  /**
   * Each start waits for a debugger to attach before any of the app's code runs (--inspect-brk): devsup arms no ready
   * timer; the preload counts the app's own running time instead, without its pauses in the debugger ('ran').
   */
  awaitsDebugger?: boolean;
}

/**
 * `crashes`: crashes in a row under onCrash 'restart' (absent when none), for the backoff; it survives the restarts
 * it causes, and is forgotten once an app stays up (the 'stable' timer) or a change or a person starts a new one.
 */
export type State =
  | { kind: 'idle' }
  | { kind: 'starting'; runId: number; sdk: boolean; pending: Trigger | null; crashes?: number }
  /** `readyLate`: the start was counted ready by the timeout; the app's own ready, when it comes, is said once. */
  | { kind: 'running'; runId: number; sdk: boolean; crashes?: number; readyLate?: true }
  | {
      kind: 'stopping';
      runId: number;
      sdk: boolean;
      phase: Phase;
      next: Next;
      trigger: Trigger | null;
      exit: Exit | null;
      /** devsup/child reported its shutdown finished: what is left of the run gets only a moment to end. */
      done?: boolean;
      crashes?: number;
    }
  | { kind: 'settling'; runId: number; trigger: Trigger; exit: Exit; crashes?: number }
  /**
   * The old tree is gone (runId is the old run's; 0 before the first); what comes before a start runs. `again`: a
   * change came meanwhile, so that what was built may be stale: once built, build again (`rebuilds`: how many times so
   * far for this start, bounded: a build that changes what devsup watches would otherwise rebuild forever). `exit`: the
   * old run's.
   */
  | { kind: 'building'; runId: number; trigger: Trigger | null; exit?: Exit; crashes?: number; again?: true; rebuilds?: number }
  | { kind: 'waiting'; runId: number; exit: Exit; crashes?: number }
  | { kind: 'closed'; exitCode: number };

/** The loop guard's verdict on a change while the app runs or starts (see watch/loop-guard.ts). */
export type LoopVerdict =
  | { kind: 'restart' }
  /** Restarts are paused from now on: `path` ended the last `restarts` starts soon after each, and came back. */
  | { kind: 'paused'; path: string; restarts: number }
  /** Paused, and this change touches only the paused file: nothing happens. */
  | { kind: 'held' };

export interface ShutdownReport {
  results: { name: string; status: 'done' | 'failed' | 'timed-out'; ms: number; error?: string }[];
  openHandles: { type: string; detail?: string; count?: number }[];
}

export type Event =
  | { type: 'start' }
  | { type: 'hello'; runId: number }
  /** The app closed its end of the IPC channel: from now on it is asked with a signal. */
  | { type: 'disconnected'; runId: number }
  /**
   * The app said it is ready (or the ready timeout passed). `inApp`: changed paths that the app loaded after they
   * changed (a file it generated, then imported), which need no restart; the shell knows, from Freshness.
   */
  | { type: 'ready'; runId: number; inApp?: string[] }
  | { type: 'ready-timeout'; runId: number; inApp?: string[] }
  /** Files changed; `loop` is the loop guard's verdict (absent: restart). */
  | { type: 'changed'; paths: string[]; loop?: LoopVerdict }
  | { type: 'settled' }
  /** A restart asked for (rs, restart(), the crash policy, or a services run for these paths: reason 'change'). */
  | { type: 'restart'; reason?: 'manual' | 'crash' | 'change'; paths?: string[]; why?: string }
  /** What comes before a start is done: spawn. Or it failed (the build step's exit): no start until the next change. */
  | { type: 'built'; runId: number }
  /** `why`: what went wrong, when not the build's exit (it made no entry). */
  | { type: 'build-failed'; runId: number; exit: Exit; why?: string }
  | { type: 'escalate'; runId: number }
  /** The crash backoff is over: start again. */
  | { type: 'retry'; runId: number }
  /** The app has stayed up long enough: its crashes are forgiven. */
  | { type: 'stable'; runId: number }
  /** Time to boot the warm standby beside the new app. */
  | { type: 'warm'; runId: number }
  /** The app asked for `ms` more to stop, `elapsedMs` after the request to stop, with the deadline `deadlineInMs` away. */
  | { type: 'extend'; runId: number; ms: number; elapsedMs?: number; deadlineInMs?: number }
  /** devsup/child finished its shutdown and reported its cleanups and what was left open. */
  | ({ type: 'shutdown-done'; runId: number } & ShutdownReport)
  | { type: 'exited'; runId: number; exit: Exit }
  /** Under --inspect-brk: the app's code has run for readyTimeout, its pauses in the debugger left out. */
  | { type: 'ran'; runId: number; inApp?: string[] }
  /** The app's process is exiting (its 'exit' listeners run), with the inspector open: a debugger may hold it. */
  | { type: 'exiting'; runId: number }
  /** A moment after 'exiting', and the process is still there: only its debugger holds it. */
  | { type: 'debugger'; runId: number }
  /** No process of the run is left. */
  | { type: 'reaped'; runId: number }
  | { type: 'close' };

/** Which configured duration a timer runs for; 'deadline' is what is left of the stop deadline. */
export type Duration = 'readyTimeout' | 'stopTimeout' | 'killGrace' | 'deadline';
export type Timer = 'ready' | 'escalate' | 'retry' | 'stable' | 'warm' | 'debugger';

/** What follows an app that ended on its own. */
export type AfterExit =
  | { kind: 'wait' }
  | { kind: 'start' }
  | { kind: 'retry'; inMs: number; attempt: number }
  | { kind: 'exit' };

/** What happened, for logs and the API's events; the shell adds timings and reports. */
export type Notice =
  | { type: 'restarting'; runId: number; trigger: Trigger; from: 'running' | 'waiting' | 'starting' }
  | { type: 'deferred'; runId: number; trigger: Trigger }
  /** Changes a starting app loaded after they were made: no restart for them (`all`: nothing else was pending). */
  | { type: 'in-app'; runId: number; trigger: Trigger; all: boolean }
  | { type: 'ready'; runId: number; via: 'message' | 'timeout' }
  | { type: 'escalated'; runId: number; phase: 'terminating' | 'killing'; forced: boolean; waited: Duration }
  | { type: 'ended'; runId: number; exit: Exit; asked: boolean; after?: AfterExit }
  | { type: 'closing'; runId: number | null }
  | { type: 'paused'; runId: number; path: string; restarts: number }
  | { type: 'held'; runId: number; paths: string[] }
  | { type: 'extended'; runId: number; askedMs: number; grantedMs: number; maxMs: number }
  | ({ type: 'cleanups'; runId: number } & ShutdownReport)
  | { type: 'leftovers-survived'; runId: number }
  /** The app's code has exited, and only its debugger kept the process: it is ended. */
  | { type: 'debugger-held'; runId: number }
  | { type: 'build-failed'; runId: number; exit: Exit; why?: string }
  /** Files changed during every one of several builds in a row (the build writing what devsup watches?): started anyway. */
  | { type: 'build-loop'; runId: number; builds: number; paths: string[] };

export type Effect =
  | { type: 'spawn'; runId: number; trigger: Trigger | null }
  /** Run what comes before the next start (the build step; the wait for dependencies), then say built or build-failed. */
  | { type: 'build'; runId: number; trigger: Trigger | null }
  /** Boot the next app's process ahead (a standby), if the shell can: a restart is coming. */
  | { type: 'prepare' }
  | { type: 'send-shutdown'; runId: number; reason: StopReason; changed: string[] }
  | { type: 'signal'; runId: number; signal: 'stop' | 'SIGKILL'; tree: boolean }
  | { type: 'arm'; runId: number; timer: Timer; duration: Duration | { ms: number } }
  /** Disarm every timer of the state; not 'debugger', which watches the exiting process whatever the state does. */
  | { type: 'disarm' }
  /** End the app's process (SIGKILL, the process alone): its code has exited, only its debugger keeps it. */
  | { type: 'end'; runId: number }
  /** Watch what is left of the run (its descendants, and processes carrying its marker) until none is: then 'reaped'. */
  | { type: 'reap'; runId: number }
  /** Signal what is left of the run. */
  | { type: 'signal-leftovers'; runId: number; signal: 'SIGTERM' | 'SIGKILL' }
  | { type: 'notify'; notice: Notice }
  | { type: 'finish'; exitCode: number };

export interface Step {
  state: State;
  effects: Effect[];
}
