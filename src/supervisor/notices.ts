// What the machine's notices become: devsup's log lines (worded by narrator.ts) and the API's events, with the
// timings and reports the shell keeps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DevsupError } from '../core/errors.js';
import type { AfterExit, Exit, Notice, Trigger } from '../core/state.js';
import type { ChildRun } from '../process/child-run.js';
import { reportsModules } from '../process/spawn.js';
import type { EventEmitter } from 'node:events';
import type { Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import type { CleanupResult } from '../protocol/messages.js';
import type { LoopGuard } from '../watch/loop-guard.js';
import { tolerateWriteErrors, type Logger } from './logger.js';
import { describeCleanup, describeExit, describeTrigger, duration, formatOpen, restartSummary } from './narrator.js';

/** The restart under way: its trigger, when it began, and what the old child's teardown took. */
export interface Restarting {
  trigger: Trigger;
  at: number;
  teardownMs: number | undefined;
  cleanups: CleanupResult[];
  /** The build step's time before the new start (every run of it), if there is one. */
  buildMs?: number;
}

/** What the narrator reads and keeps of the shell (effects.ts). */
export interface Narrated {
  readonly options: Options;
  readonly log: Logger;
  readonly emitter: EventEmitter<SupervisorEvents>;
  readonly loops: LoopGuard;
  restarting: Restarting | undefined;
  noGraphSaid: boolean;
  current(runId: number): ChildRun | undefined;
  settleReady(error?: Error): void;
  /** The reap of this run is over: say what was killed, and report the teardown. */
  reaped(run: ChildRun): void;
}

const ms = (from: number) => Math.round(performance.now() - from);

// For the summary: the files that still exist (a tool's temporary file, renamed over the real one, is not news),
// unless the change was a deletion.
function present(cwd: string, trigger: Trigger): Trigger {
  const paths = trigger.paths.filter((p) => existsSync(join(cwd, p)));
  return paths.length > 0 ? { ...trigger, paths } : trigger;
}

export function narrate(shell: Narrated, notice: Notice): void {
  const { log, options } = shell;
  const run = notice.runId === null ? undefined : shell.current(notice.runId);
  switch (notice.type) {
    case 'restarting': {
      shell.restarting = { trigger: notice.trigger, at: performance.now(), teardownMs: undefined, cleanups: [] };
      if (options.clearScreen && process.stdout.isTTY) {
        tolerateWriteErrors(process.stdout); // a terminal closed: no uncaught EIO
        process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
      }
      const what = describeTrigger(notice.trigger);
      log.info({ runId: notice.runId, trigger: notice.trigger }, notice.from === 'waiting' ? `${what} → starting` : `${what} → restarting`);
      shell.emitter.emit('restarting', { runId: notice.runId, trigger: notice.trigger });
      return;
    }
    case 'deferred':
      log.info({ runId: notice.runId, trigger: notice.trigger }, `${describeTrigger(notice.trigger)} while the app starts → restarting once it is ready`);
      return;
    case 'in-app': {
      const level = notice.all ? 'info' : 'debug';
      log[level]({ runId: notice.runId, paths: notice.trigger.paths }, `${describeTrigger(notice.trigger)} was made before the app loaded it: no restart for it`);
      return;
    }
    case 'ready':
      return run && ready(shell, run, notice.via);
    case 'escalated': {
      if (!run) return;
      // From the app's latest report: a cleanup it started and has not reported finished, else what it said last
      // (a cleanup that finished, its shutdown done) — never a cleanup it reported over. No "how long ago": when
      // devsup itself was stopped, the report was read only now.
      const running = run.cleanupRunning();
      const last = run.lastReport?.what;
      const still = running
        ? `cleanup "${running.name}" still running after ${duration(running.forMs)}`
        : last ? `the app has not exited (it last reported: ${last})` : 'the app has not exited';
      const fields = { runId: run.runId, cleanup: running?.name };
      if (notice.forced) log.warn(fields, `forced stop: SIGKILL to the app's process tree (${still})`);
      else if (notice.phase === 'terminating') log.warn(fields, `stop timeout (${options.stopTimeout} ms): ${still} → ${options.signal}`);
      else log.warn(fields, `app still running ${options[notice.waited === 'deadline' ? 'stopTimeout' : notice.waited]} ms after ${options.signal} (${still}) → SIGKILL to its process tree`);
      return;
    }
    case 'ended':
      shell.loops.stopped();
      return run && ended(shell, run, notice.exit, notice.asked, notice.after);
    case 'closing':
      if (notice.runId !== null) log.debug({ runId: notice.runId }, 'closing: stopping the app');
      return;
    case 'paused': {
      const { path, restarts } = notice;
      log.warn(
        { path, restarts },
        `restarts paused: ${path} changed right after each of the last ${restarts + 1} starts — is the app writing it? ` +
          `Add it to ignore (--ignore ${path}); a change to another file, or rs, resumes`,
      );
      shell.emitter.emit('paused', { path, restarts });
      return;
    }
    case 'held':
      log.debug({ paths: notice.paths }, `change in ${notice.paths.join(', ')} ignored: restarts are paused`);
      return;
    case 'extended': {
      const { askedMs, grantedMs, maxMs, runId } = notice;
      if (grantedMs === 0) {
        log.info({ runId, askedMs }, `app asked for ${askedMs} ms more to stop: refused, maxStopTimeout (${maxMs} ms) reached`);
        return;
      }
      const granted = Math.round(grantedMs);
      const capped = granted < askedMs ? ` (capped by maxStopTimeout, ${maxMs} ms)` : '';
      log.info({ runId, askedMs, granted }, `app asked for ${askedMs} ms more to stop: granted ${granted} ms${capped}`);
      return;
    }
    case 'cleanups': {
      if (!run) return;
      const { results, openHandles } = notice;
      run.openHandles = openHandles;
      log.info({ runId: run.runId, cleanups: results }, results.length > 0 ? `cleanups: ${results.map(describeCleanup).join(', ')}` : 'no cleanups registered');
      if (openHandles.length > 0) {
        log.warn({ runId: run.runId, openHandles }, `teardown left open: ${formatOpen(openHandles)} — is a cleanup missing?`);
      }
      return;
    }
    case 'build-failed': {
      const why = notice.why ?? `the build step failed (${describeExit(notice.exit)})`;
      log.error({ runId: notice.runId, exit: notice.exit }, `no app started: ${why} — waiting for a change`);
      shell.restarting = undefined;
      shell.settleReady(new DevsupError('BUILD_FAILED', why, { exitCode: 1 }));
      return;
    }
    case 'build-loop': {
      const shown = notice.paths.slice(0, 3).join(', ') + (notice.paths.length > 3 ? ` (+${notice.paths.length - 3} more)` : '');
      // One folder for all (dist/): that is what to ignore.
      const folders = new Set(notice.paths.map((p) => p.split('/')[0]));
      const [folder] = folders;
      const what = folders.size === 1 && notice.paths.every((p) => p.includes('/')) ? `ignore: ['${folder}']` : 'ignore';
      log.warn({ runId: notice.runId, paths: notice.paths }, `files changed during each of ${notice.builds} builds in a row (${shown}): does the build step write them? Add them to ${what} — starting with the latest build`);
      return;
    }
    case 'debugger-held':
      if (!run) return;
      log.info({ runId: run.runId }, 'the app has exited, but its debugger kept the process open (Node waits for it to disconnect): ended it');
      return;
    case 'leftovers-survived':
      if (!run) return;
      log.error({ runId: run.runId }, 'leftover processes of the old app survived SIGKILL (stuck in the kernel?); going on without waiting for them');
      shell.reaped(run);
      return;
  }
}

function ready(shell: Narrated, run: ChildRun, via: 'message' | 'timeout'): void {
  const { log, options } = shell;
  const took = ms(run.spawnedAt);
  run.readyAt ??= performance.now();
  const restart = shell.restarting;
  if (restart) {
    // One line per restart: what triggered it, how long the old app took to go, how long the new one to come.
    const line = restartSummary({
      number: run.runId - 1,
      trigger: present(options.cwd, restart.trigger),
      teardownMs: restart.teardownMs,
      readyMs: via === 'message' ? took : undefined,
      cleanups: options.logLevel === 'debug' ? restart.cleanups : undefined,
      buildMs: restart.buildMs,
    });
    log.info({ runId: run.runId, ms: took, teardownMs: restart.teardownMs, totalMs: ms(restart.at) }, line);
  } else if (via === 'message') {
    log.info({ runId: run.runId, ms: took }, `ready in ${took} ms`);
  } else {
    log.info({ runId: run.runId, ms: took }, `ready (no ready() call; counted after ${took} ms)`);
  }
  shell.restarting = undefined;
  shell.loops.ready(performance.now());
  if (run.modulesWatched > 0) log.debug({ runId: run.runId }, `watching ${run.modulesWatched} more files the app loaded`);
  if (run.modulesReported === 0 && reportsModules(options) && !shell.noGraphSaid) {
    shell.noGraphSaid = true;
    log.warn({ runId: run.runId }, 'this Node did not report the modules the app loaded: only the entry and the watch paths restart it (or use --watch-all)');
  }
  // What the app started by now is its tree: record it, in case the app later dies without stopping it.
  void run.snapshot();
  shell.emitter.emit('ready', { runId: run.runId, pid: run.pid, ms: took, via });
  shell.settleReady();
}

const AFTER: Record<AfterExit['kind'], (after: AfterExit) => string> = {
  wait: () => 'waiting for changes',
  start: () => 'restarting for the change seen while it started',
  retry: (after) => (after.kind === 'retry' ? `restarting in ${duration(after.inMs)} (onCrash: restart, attempt ${after.attempt})` : ''),
  exit: () => 'exiting (onCrash: exit)',
};

function ended(shell: Narrated, run: ChildRun, exit: Exit, asked: boolean, after: AfterExit = { kind: 'wait' }): void {
  const { log } = shell;
  const running = run.cleanupRunning();
  if (running) {
    // Which of the announced cleanups never got their turn.
    const skipped = run.plan.slice(run.cleanups.length + 1);
    const never = skipped.length > 0 ? `; never ran: ${skipped.join(', ')}` : '';
    log.warn({ runId: run.runId, cleanup: running.name, skipped, exit }, `app ended (${describeExit(exit)}) during cleanup "${running.name}"${never}`);
  }
  if (asked) {
    log.debug({ runId: run.runId, exit }, `app exited (${describeExit(exit)}) ${duration(ms(run.stopAskedAt ?? run.spawnedAt))} after the request to stop`);
    return;
  }
  const next = AFTER[after.kind](after);
  // A crash before ready is usually a broken edit (a syntax error, a bad import): the next save is the fix.
  const when = run.readyAt === undefined ? ' while starting' : '';
  if (exit.code === 0) log.info({ runId: run.runId, exit }, `app exited (0) — ${next}`);
  else log.error({ runId: run.runId, exit }, `app crashed${when} (${describeExit(exit)}) — ${next}`);
  // A start that never got ready is a start that failed: start()/restart() callers learn why.
  const what = `the app ${exit.code === 0 ? 'exited' : 'crashed'} (${describeExit(exit)}) before it was ready`;
  shell.settleReady(new DevsupError('APP_EXITED', what, { exitCode: 1 }));
}
