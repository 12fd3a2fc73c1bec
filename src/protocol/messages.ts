// The IPC protocol between devsup and the app, its messages: JSON objects over Node's IPC channel, each tagged
// `devsup: 1` so that the app's own `process.send` traffic is never mistaken for ours. See docs/PROTOCOL.md; what
// the child sends is validated in parse.ts.

export const PROTOCOL_VERSION = 1;

export type StopReason = 'restart' | 'exit' | 'manual';
export type CleanupStatus = 'started' | 'done' | 'failed' | 'timed-out';

export interface CleanupResult {
  name: string;
  status: Exclude<CleanupStatus, 'started'>;
  ms: number;
  error?: string;
}

/** parent → child */
export interface ShutdownMessage {
  devsup: 1;
  type: 'shutdown';
  reason: StopReason;
  deadlineMs: number;
  changed?: string[];
}

/** parent → child: a standby (see child/standby.ts) is to run the entry now. */
export interface RunMessage {
  devsup: 1;
  type: 'run';
  entry: string;
  args: string[];
}

/** Something still keeping the app alive after its cleanups ran: a server, a socket, a child process, timers. */
export interface OpenResource {
  /** "TCP server", "socket", "child process", "timer", … */
  type: string;
  /** The address, pid or command, where known. */
  detail?: string;
  /** How many, for resources reported by kind only (timers). */
  count?: number;
}

/** child → parent */
export type ChildMessage =
  | { devsup: 1; type: 'hello'; sdk: string; pid: number }
  | { devsup: 1; type: 'ready' }
  | { devsup: 1; type: 'stopping'; cleanups: string[] }
  | { devsup: 1; type: 'cleanup'; name: string; status: CleanupStatus; ms: number; error?: string }
  | { devsup: 1; type: 'extend'; ms: number }
  | { devsup: 1; type: 'shutdown-done'; results: CleanupResult[]; openHandles: OpenResource[] }
  /** The preload saw the app listen on a TCP port (host as the app asked), on a socket devsup holds or not. */
  | { devsup: 1; type: 'listen'; port: number; host?: string; held: boolean }
  /**
   * The preload, under --inspect-brk: the app's code has run for `ms` (devsup's readyTimeout), the time it was paused
   * in the debugger left out. For an app that does not call ready(), what the ready timeout is otherwise.
   */
  | { devsup: 1; type: 'ran'; ms: number }
  /** The preload, with the inspector open: the process is exiting with `code` (Node may now wait for the debugger). */
  | { devsup: 1; type: 'exiting'; code: number }
  /** The app could not listen on a port: another process holds it. */
  | { devsup: 1; type: 'listen-failed'; port: number; code: 'EADDRINUSE' }
  /**
   * Files the app loaded: Node's own reports (`watch:import`, `watch:require`), turned into absolute paths, and each
   * file's ctime (ms) when the report was sent, as devsup's preload read it (Node reports before reading the file).
   */
  | { devsup: 1; type: 'modules'; files: string[]; ctimes: Record<string, number> };

export function shutdownMessage(reason: StopReason, deadlineMs: number, changed: string[]): ShutdownMessage {
  return changed.length > 0
    ? { devsup: 1, type: 'shutdown', reason, deadlineMs, changed }
    : { devsup: 1, type: 'shutdown', reason, deadlineMs };
}
