// The public events: what a supervisor emits (the API's typed events, --events lines, config hooks), and the
// teardown report. Types only; the hooks' payloads are derived from the events, so the three cannot drift apart.
import type { CleanupResult, OpenResource, StopReason } from '../protocol/messages.js';
import type { Exit, Trigger } from './state.js';

/** A process that outlived the app and had to be killed: its pid, command and what it was listening on. */
export interface Reaped {
  pid: number;
  command: string;
  /** Addresses it was listening on when found (Linux; empty elsewhere). */
  listening: string[];
}

/** What one child's teardown did: which cleanups ran and how long, what was still running, what had to be killed. */
export interface TeardownReport {
  runId: number;
  exit: Exit;
  /** Whether devsup asked it to stop (restart, close), or it ended on its own. */
  asked: boolean;
  /** From the first request to stop until the process exited and its tree was gone; undefined when it ended unasked. */
  teardownMs: number | undefined;
  cleanups: CleanupResult[];
  /** The cleanup that was running when the process exited or was killed, if any. */
  interrupted: string | undefined;
  /** What still kept the app alive after its cleanups (reported by devsup/child). */
  openHandles: OpenResource[];
  /** Descendants that outlived the app and had to be killed, with what they listened on. */
  killed: Reaped[];
}

export type CleanupReport = CleanupResult;

export interface SupervisorEvents {
  changed: [{ paths: string[] }];
  stopRequested: [{ runId: number; reason: StopReason | 'signal' }];
  leaked: [{ runId: number; openHandles: OpenResource[]; killed: Reaped[] }];
  started: [{ runId: number; pid: number | undefined }];
  ready: [{ runId: number; pid: number | undefined; ms: number; via: 'message' | 'timeout' }];
  restarting: [{ runId: number; trigger: Trigger }];
  cleanup: [{ runId: number } & CleanupReport];
  exited: [TeardownReport];
  crashed: [TeardownReport];
  closed: [{ exitCode: number }];
  /** The changes of a burst have settled (no change for the quiet period): the next child may start. */
  settled: [{ paths: string[] }];
  /** A file event that restarts nothing, and the rule that skipped it. */
  ignored: [{ path: string; rule: string }];
  /** Restarts are paused: `path` keeps changing right after each start (the app writes it, most likely). */
  paused: [{ path: string; restarts: number }];
  /** The build step finished before a start (`runId` is the run before it; 0 before the first). */
  built: [{ runId: number; ms: number }];
  /** The build step failed: no app was started; the next change tries again. `output`: what it printed (its tail). */
  buildFailed: [{ runId: number; exit: Exit; ms: number; output: string }];
}

/** Each config hook (by its first, deprecated name; `ready` kept) and the event it runs on. */
export const HOOK_EVENTS = { start: 'started', ready: 'ready', restart: 'restarting', crash: 'crashed', exit: 'exited' } as const;
export type HookName = keyof typeof HOOK_EVENTS;
/** The hooks named as the events they run on: the names to write (issue 12). */
export const EVENT_HOOKS = ['started', 'ready', 'restarting', 'crashed', 'exited'] as const;
export type EventHookName = (typeof EVENT_HOOKS)[number];

/** Functions run in the supervisor (not in the app) at each step of the lifecycle. Errors are logged, never fatal. */
export type Hooks = {
  [K in EventHookName]?: (event: SupervisorEvents[K][0]) => unknown;
} & {
  /** @deprecated start, restart, crash and exit are named started, restarting, crashed and exited now. */
  [K in Exclude<HookName, 'ready'>]?: (event: SupervisorEvents[(typeof HOOK_EVENTS)[K]][0]) => unknown;
};
