// What the app's process tells devsup — its messages over the channel, a channel it closed, a start that failed, its
// exit — turned into the machine's events and the lines said at once (a failed cleanup, a listen hint).
import type { EventEmitter } from 'node:events';
import type { Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import type { Event } from '../core/state.js';
import type { ChildRun, RunHandlers } from '../process/child-run.js';
import { holderOf } from '../process/sockets.js';
import { describeApp } from '../process/spawn.js';
import type { ChildMessage } from '../protocol/messages.js';
import type { Shell } from './effects.js';
import type { ListenHints } from './listen-hints.js';
import type { Logger } from './logger.js';
import { printable } from './narrator.js';

/** Where the app's news goes. */
export interface AppListener {
  readonly options: Options;
  readonly log: Logger;
  readonly emitter: EventEmitter<SupervisorEvents>;
  readonly shell: Shell;
  readonly listenHints: ListenHints;
  dispatch(event: Event): void;
}

export function runHandlers(to: AppListener): RunHandlers {
  const onMessage = (run: ChildRun, message: ChildMessage) => appMessage(to, run, message);
  return {
    message: onMessage,
    ignored: (run: ChildRun, why: string) => to.log.debug({ runId: run.runId, why }, `ignored an IPC message from the app: ${why}`),
    disconnected: (run: ChildRun) => {
      to.log.info({ runId: run.runId }, `the app closed its IPC channel; it will be stopped with ${to.options.signal}`);
      to.dispatch({ type: 'disconnected', runId: run.runId });
    },
    failed: (run: ChildRun, error: NodeJS.ErrnoException) => {
      // It never started: a command that does not exist (exit 127, as a shell says) or may not be run (126).
      const [what, hint, code] =
        error.code === 'ENOENT' ? ['command not found', 'check --exec and the PATH', 127]
        : error.code === 'EACCES' ? ['permission denied', 'is it executable?', 126]
        : [error.message, 'devsup keeps running', 1];
      to.log.error({ err: error, runId: run.runId }, `could not start ${describeApp(to.options)}: ${what} (${hint})`);
      run.failedToStart({ code, signal: null });
      to.dispatch({ type: 'exited', runId: run.runId, exit: { code, signal: null } });
    },
    exited: (run: ChildRun, exit: { code: number | null; signal: string | null }) => to.dispatch({ type: 'exited', runId: run.runId, exit }),
  };
}

function appMessage(to: AppListener, run: ChildRun, message: ChildMessage): void {
  const { runId } = run;
  const shell = to.shell;
  switch (message.type) {
    case 'hello':
      return to.dispatch({ type: 'hello', runId });
    case 'ready':
      return to.dispatch({ type: 'ready', runId, inApp: shell.inApp(run) });
    case 'extend': {
      const elapsedMs = run.stopAskedAt === undefined ? 0 : performance.now() - run.stopAskedAt;
      return to.dispatch({ type: 'extend', runId, ms: message.ms, elapsedMs, deadlineInMs: shell.timers.deadlineLeft() });
    }
    case 'cleanup': {
      if (message.status === 'started') return;
      const { name, status, ms: took, error } = message;
      const report = error === undefined ? { name, status, ms: took } : { name, status, ms: took, error };
      if (status === 'failed') to.log.warn({ runId, cleanup: report }, `cleanup "${name}" failed after ${took} ms: ${error ?? 'unknown error'}`);
      if (status === 'timed-out') to.log.warn({ runId, cleanup: report }, `cleanup "${name}" timed out after ${took} ms; the next ones still run`);
      to.emitter.emit('cleanup', { runId, ...report });
      shell.progress.cleanupFinished(run, () => shell.run);
      return;
    }
    case 'shutdown-done':
      return to.dispatch({ type: 'shutdown-done', runId, results: message.results, openHandles: message.openHandles });
    case 'stopping':
      return; // the plan is kept by the run, for the progress line
    case 'ran':
      return to.dispatch({ type: 'ran', runId, inApp: shell.inApp(run) });
    case 'exiting':
      return to.dispatch({ type: 'exiting', runId }); // its code is kept by the run
    case 'modules':
      return shell.loaded(run, message.files, message.ctimes);
    case 'listen-failed':
      // Named from /proc while the holder still holds it; said beside the crash line that follows.
      void holderOf(message.port).then((holder) => {
        const who = holder ? `held by pid ${holder.pid}${holder.command ? ` (${printable(holder.command)})` : ''}` : 'held by another process';
        to.log.warn({ runId, port: message.port, holder }, `port ${message.port} is in use, ${who}: the app could not listen on it (stop that process, or use another port)`);
      });
      return;
    case 'listen': {
      const said = to.listenHints.line(message, to.options.sockets);
      // Without --socket at all, the output stays what it was: the hint only with --verbose.
      const level = said?.level === 'info' && to.options.sockets.length === 0 ? 'debug' : said?.level;
      if (said && level) to.log[level]({ runId, port: message.port, host: message.host }, said.text);
      return;
    }
  }
}
