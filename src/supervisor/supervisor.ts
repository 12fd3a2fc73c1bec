// The I/O shell around the state machine: performs its effects (spawn, send, signal, timers, reap, log) and feeds
// what happens (messages, exits, timers, file changes) back in as events. No process.exit, no signal handlers.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { ChildRun, type TeardownReport } from '../process/child-run.js';
import { normalize } from '../config/normalize.js';
import type { Config, Options } from '../config/schema.js';
import { DevsupError } from '../core/errors.js';
import { attachEventLog } from './event-log.js';
import { installHooks } from './hooks.js';
import { createLogger, statusLine, type Logger } from './logger.js';
import { initialState, transition, type Effect, type Event, type Exit, type Notice, type State, type Trigger } from '../core/machine.js';
import { shutdownMessage, type ChildMessage, type CleanupResult, type OpenResource, type StopReason } from '../protocol/messages.js';
import type { Reaped } from '../process/tree.js';
import { describeCleanup, describeExit, describeTrigger, formatOpen, formatProgress, formatReaped, restartSummary, seconds } from './narrator.js';
import { LoopGuard } from '../watch/loop-guard.js';
import { checkRunnable, describeApp, isPython, readEnvFile, reportsModules } from '../process/spawn.js';
import type { Watcher } from '../watch/watcher.js';

export type { TeardownReport };
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
  /** Restarts are paused: `path` keeps changing right after each start (the app writes it, most likely). */
  paused: [{ path: string; restarts: number }];
}

const now = () => performance.now();
const ms = (from: number) => Math.round(now() - from);

// For the summary: the files that still exist (a tool's temporary file, renamed over the real one, is not news),
// unless the change was a deletion.
function present(cwd: string, trigger: Trigger): Trigger {
  const paths = trigger.paths.filter((p) => existsSync(join(cwd, p)));
  return paths.length > 0 ? { ...trigger, paths } : trigger;
}
/** Always watched, even when git ignores them: what configures the app rather than being part of it. */
export const WATCHED_BY_DEFAULT = ['.env*', 'package.json', 'tsconfig.json'];

/**
 * What to watch for these options. A Node entry reports the modules it loads, so its module graph is watched, plus
 * `watch` (and the whole project with `watchAll`). Without a graph (exec, a Python entry), `watch` replaces the
 * fallback: the entry's folder's `*.py` for Python, the whole project otherwise.
 */
export function watchTargets(options: Options): { watch: string[]; named: string[]; graph: boolean } {
  const { cwd, entry } = options;
  const named = [...WATCHED_BY_DEFAULT.map((p) => join(cwd, p)), ...(entry !== undefined && !options.exec ? [entry] : [])];
  const all = options.watchAll ? [cwd] : [];
  if (reportsModules(options)) return { watch: [...options.watch, ...all], named, graph: true };
  if (!options.exec && isPython(entry)) {
    return { watch: [join(dirname(entry), '**', '*.py'), ...options.watch, ...all], named, graph: false };
  }
  return { watch: options.watch.length > 0 ? [...options.watch, ...all] : [cwd], named, graph: false };
}

// Cleanups running longer than this get a live progress line.
const PROGRESS_AFTER_MS = 500;
// How long what is left of an app that exited gets to end on its own before it counts as a leftover.
const HELPER_EXIT_MS = 250;

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly options: Options;
  readonly #log: Logger;
  #state: State = initialState;
  #run: ChildRun | undefined;
  #queue: Event[] = [];
  #dispatching = false;
  #timers = new Map<string, NodeJS.Timeout>();
  /** When the escalate timer fires, for extendDeadline(). */
  #deadlineAt = 0;
  #watcher: Watcher | undefined;
  #closeEventLog: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #closing: Promise<number> | undefined;
  #resolveClosed: ((exitCode: number) => void) | undefined;
  #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** The restart under way: its trigger, when it began, and what the old child's teardown took. */
  #restart: { trigger: Trigger; at: number; teardownMs: number | undefined; cleanups: CleanupResult[] } | undefined;
  #progress: NodeJS.Timeout | undefined;
  /** Crashes in a row (reset when a child gets ready), for onCrash: 'restart' backoff. */
  #crashes = 0;
  #crashTimer: NodeJS.Timeout | undefined;
  /** Whether the inotify watch limit was reported (once is enough). */
  #watchLimitSaid = false;
  /** Files the app reported loading before the watcher was up (it is loaded after the first spawn). */
  #loadedEarly: string[][] = [];
  #loops = new LoopGuard();
  #noGraphSaid = false;

  constructor(options: Options, logger: Logger) {
    super();
    this.options = options;
    this.#log = logger;
    installHooks(this, options.hooks, logger);
  }

  get state(): State {
    return this.#state;
  }

  /** The current child's pid, if one is running. */
  get pid(): number | undefined {
    return this.#run?.alive ? this.#run.pid : undefined;
  }

  /** Starts the app and the watcher. Resolves when the first child is ready; rejects if it cannot start. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      checkRunnable(this.options);
      this.#openEventLog();
      const waiter = this.#nextReady();
      // The app first: the watcher's initial scan of a big project would otherwise compete with its boot.
      this.#dispatch({ type: 'start' });
      void this.#startWatcher();
      await waiter;
    })();
    return this.#started;
  }

  /** Restarts the app (as `rs` does). Resolves when the new child is ready. */
  restart(): Promise<void> {
    this.#loops.resume();
    const waiter = this.#nextReady();
    this.#dispatch({ type: 'restart' });
    return waiter;
  }

  /**
   * Stops the app gracefully (its cleanups run), then the watcher. Resolves with the exit code the app ended with.
   * Idempotent; `{ force: true }` skips what is left of the teardown and SIGKILLs the app's process tree.
   */
  close(options: { force?: boolean } = {}): Promise<number> {
    if (!this.#closing) {
      this.#closing = new Promise<number>((resolve) => (this.#resolveClosed = resolve));
      this.#dispatch({ type: 'close' });
    }
    if (options.force) this.#dispatch({ type: 'close' });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #openEventLog(): void {
    if (this.options.events === undefined) return;
    try {
      this.#closeEventLog = attachEventLog(this, this.options.events, (error) =>
        this.#log.warn({ err: error }, `event log: ${error.message} (no more events are written there)`),
      );
    } catch (error) {
      throw new DevsupError('EVENTS_UNWRITABLE', `cannot write events to ${String(this.options.events)}: ${(error as Error).message}`, {
        hint: 'give --events a writable file, or an open file descriptor',
        cause: error,
      });
    }
  }

  // Loaded after the app was spawned: chokidar and picomatch are ~30 ms of the first start that the app need not wait for.
  async #startWatcher(): Promise<void> {
    const { startWatcher, WatchSet } = await import('../watch/watcher.js');
    if (this.#state.kind === 'closed') return;
    const { cwd, ignore, ext, debounce, poll } = this.options;
    const targets = watchTargets(this.options);
    this.#watcher = startWatcher({
      set: new WatchSet({ root: cwd, watch: targets.watch, named: targets.named, ignore, ext }),
      debounce,
      poll,
      onChange: (paths) => this.#changed(paths),
      onSettled: () => this.#dispatch({ type: 'settled' }),
      // Asked of the latest run whatever the state: the one running, being stopped, or that crashed (a fix restarts it).
      alreadyLoaded: (path, changedAtMs) => this.#run !== undefined && this.#inRun(this.#run, path, changedAtMs),
      onError: (error) => {
        if (error.code === 'ENOSPC') {
          // Every watch after the limit fails alike: said once, each further path only with --verbose.
          if (this.#watchLimitSaid) return this.#log.debug({ err: error }, `watcher: ${error.message}`);
          this.#watchLimitSaid = true;
          const hint = 'the inotify watch limit is reached: raise it with sudo sysctl fs.inotify.max_user_watches=524288, ignore large folders, or use --poll';
          return this.#log.error({ err: error }, `watcher: ${error.message} (${hint})`);
        }
        this.#log.error({ err: error }, `watcher: ${error.message} (devsup keeps running; changes under that path may be missed)`);
      },
    });
    for (const files of this.#loadedEarly.splice(0)) this.#watcher.addLoaded(files);
    void this.#watcher.ready.then(() => {
      const shown = [
        ...(targets.graph ? ['the files the app loads'] : []),
        ...targets.watch.map((p) => relative(cwd, p) || '.'),
        WATCHED_BY_DEFAULT.join(', '),
      ];
      this.#log.info({ watch: targets.watch, named: targets.named }, `watching ${shown.join(', ')}`);
    });
  }

  // Files changed (after the quiet-period grouping of one event-loop turn). While the app runs, a file that keeps
  // changing right after each start is the app writing it: restarts pause instead of looping.
  #changed(changed: string[]): void {
    // Judged again now: the app's report of a file it generated can arrive after chokidar saw the file being written.
    const paths = changed.filter((p) => !this.#changeInRun(p));
    if (paths.length === 0) return;
    const kind = this.#state.kind;
    if (kind === 'running' || kind === 'starting') {
      // The app's own code is what a person edits: a loaded module, or (without a module graph) a file like the entry.
      const code = this.options.entry === undefined ? undefined : extname(this.options.entry);
      const written = paths.filter((p) => !this.#watcher?.isLoaded(p) && extname(p) !== code);
      const verdict = this.#loops.changed(paths, now(), written);
      if (verdict.kind === 'held') {
        this.#log.debug({ paths }, `change in ${paths.join(', ')} ignored: restarts are paused`);
        return;
      }
      if (verdict.kind === 'paused') {
        const { path, restarts } = verdict;
        this.#log.warn(
          { path, restarts },
          `restarts paused: ${path} changed right after each of the last ${restarts + 1} starts — is the app writing it? ` +
            `Add it to ignore (--ignore ${path}); a change to another file, or rs, resumes`,
        );
        this.emit('paused', { path, restarts });
        return;
      }
    }
    this.emit('changed', { paths });
    this.#dispatch({ type: 'changed', paths });
  }

  // Whether a change to this file (absolute path), with this ctime, is in the run already. A file the run loaded:
  // if the ctime is the one it had when the app reported loading it, or older (a file the app generates, then
  // imports, is in it; a save after the app read it is not). Any other file: if it changed clearly before the spawn
  // (ctime has the kernel's coarse clock, a few ms behind).
  #inRun(run: ChildRun, path: string, ctimeMs: number): boolean {
    const loaded = run.loadedCtime.get(resolve(path));
    return loaded === undefined ? ctimeMs < run.spawnedAtWall - 10 : ctimeMs <= loaded;
  }

  // Whether the latest change seen to this path (relative to the project, as in triggers) is in the latest run.
  #changeInRun(path: string): boolean {
    const at = this.#watcher?.lastChangeAt(path);
    return at !== undefined && this.#run !== undefined && this.#inRun(this.#run, resolve(this.options.cwd, path), at);
  }

  // The changes a starting run is to restart for once ready, less those it loaded after they were made.
  #inApp(runId: number): string[] | undefined {
    const state = this.#state;
    if (state.kind !== 'starting' || !state.pending || this.#run?.runId !== runId) return undefined;
    const inApp = state.pending.paths.filter((p) => this.#changeInRun(p));
    if (inApp.length === 0) return undefined;
    const level = inApp.length === state.pending.paths.length && state.pending.reason === 'change' ? 'info' : 'debug';
    this.#log[level]({ runId, paths: inApp }, `${describeTrigger({ ...state.pending, paths: inApp })} was made before the app loaded it: no restart for it`);
    return inApp;
  }

  // Node reported modules the app loaded: they join what is watched (the module graph only grows).
  #loaded(run: ChildRun, files: string[], ctimes: Readonly<Record<string, number>>): void {
    run.modulesReported += files.length;
    for (const file of files) {
      const ctime = ctimes[file];
      const path = resolve(file);
      if (ctime !== undefined && !run.loadedCtime.has(path)) run.loadedCtime.set(path, ctime);
    }
    if (!this.#watcher) {
      this.#loadedEarly.push(files);
      return;
    }
    const added = this.#watcher.addLoaded(files);
    // Said once at ready for the start, then for each late (dynamic) import.
    if (run.readyAt === undefined) run.modulesWatched += added;
    else if (added > 0) this.#log.debug({ runId: run.runId, files }, `watching ${added} more file${added > 1 ? 's' : ''} the app loaded`);
  }

  #nextReady(): Promise<void> {
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  #settleReady(error?: Error): void {
    for (const w of this.#readyWaiters.splice(0)) (error ? w.reject(error) : w.resolve());
  }

  #dispatch(event: Event): void {
    // Effects may feed events back synchronously: queue them so that each transition completes before the next.
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        const from = this.#state;
        const step = transition(from, next);
        this.#state = step.state;
        if (step.state !== from) {
          const runId = 'runId' in step.state ? step.state.runId : undefined;
          this.#log.debug({ from: from.kind, to: step.state.kind, event: next.type, runId }, `${from.kind} → ${step.state.kind} on ${next.type}`);
        }
        for (const effect of step.effects) this.#perform(effect);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #current(runId: number): ChildRun | undefined {
    return this.#run?.runId === runId ? this.#run : undefined;
  }

  #perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        if (this.#restart && effect.trigger) this.#restart.trigger = effect.trigger; // with every change merged in
        return this.#spawn(effect.runId);
      case 'send-shutdown': {
        const run = this.#current(effect.runId);
        if (!run) return;
        this.#stopRequested(run, effect.reason);
        const message = shutdownMessage(effect.reason, this.options.stopTimeout, effect.changed);
        // Record the tree first: once the app exits, its orphans can no longer be found by walking from it.
        void run.snapshot().then(() => {
          if (!run.alive) return;
          if (run.send(message)) return this.#log.debug({ runId: run.runId }, `asked the app to shut down (${effect.reason})`);
          this.#log.debug({ runId: run.runId }, `IPC channel closed; sending ${this.options.signal}`);
          run.signal(this.options.signal, false);
        });
        return;
      }
      case 'signal': {
        const run = this.#current(effect.runId);
        if (!run) return;
        this.#stopRequested(run, 'signal');
        const signal = effect.signal === 'stop' ? this.options.signal : effect.signal;
        if (signal === 'SIGKILL') run.killing = true;
        void run.snapshot().then(() => run.signal(signal, effect.tree));
        return;
      }
      case 'arm': {
        clearTimeout(this.#timers.get(effect.timer));
        const { runId } = effect;
        const event = (): Event =>
          effect.timer === 'ready' ? { type: 'ready-timeout', runId, inApp: this.#inApp(runId) } : { type: 'escalate', runId };
        const after = typeof effect.duration === 'object' ? effect.duration.ms : this.options[effect.duration];
        if (effect.timer === 'escalate') this.#deadlineAt = now() + after;
        this.#timers.set(effect.timer, setTimeout(() => this.#dispatch(event()), after));
        return;
      }
      case 'disarm':
        for (const timer of this.#timers.values()) clearTimeout(timer);
        this.#timers.clear();
        return;
      case 'reap': {
        const run = this.#current(effect.runId);
        if (!run) return;
        this.#stopProgress();
        // What is left of the run gets what was left of the app's own deadline if the app did not finish its
        // shutdown (behind a wrapper, the real app may still be cleaning up), else a moment to end on its own: a
        // helper that ends with its parent (Python's multiprocessing resource tracker, on EOF) is not a leftover.
        const waits = run.stopAskedAt !== undefined && !run.shutdownDone && !run.killing;
        const waitUntil = waits ? Math.max(now(), this.#deadlineAt) : run.killing ? now() : now() + HELPER_EXIT_MS;
        void run.reap(waitUntil, run.killing ? 0 : this.options.killGrace).then((killed) => {
          if (killed.length > 0) {
            const n = killed.length;
            this.#log.warn({ runId: run.runId, killed }, `killed ${n} leftover process${n > 1 ? 'es' : ''} of the old app: ${formatReaped(killed)}`);
          }
          this.#report(run);
          this.#dispatch({ type: 'reaped', runId: run.runId });
        });
        return;
      }
      case 'notify':
        return this.#notice(effect.notice);
      case 'finish':
        return this.#finish(effect.exitCode);
    }
  }

  #spawn(runId: number): void {
    const run = new ChildRun(runId, this.options, this.#envFromFile(), {
      message: (r, message) => this.#onMessage(r, message),
      ignored: (r, why) => this.#log.debug({ runId: r.runId, why }, `ignored an IPC message from the app: ${why}`),
      disconnected: (r) => {
        this.#log.info({ runId: r.runId }, `the app closed its IPC channel; it will be stopped with ${this.options.signal}`);
        this.#dispatch({ type: 'disconnected', runId: r.runId });
      },
      failed: (r, error) => {
        // It never started: a command that does not exist (exit 127, as a shell says) or may not be run (126).
        const [what, hint, code] =
          error.code === 'ENOENT' ? ['command not found', 'check --exec and the PATH', 127]
          : error.code === 'EACCES' ? ['permission denied', 'is it executable?', 126]
          : [error.message, 'devsup keeps running', 1];
        this.#log.error({ err: error, runId }, `could not start ${describeApp(this.options)}: ${what} (${hint})`);
        r.failedToStart({ code, signal: null });
        this.#dispatch({ type: 'exited', runId, exit: { code, signal: null } });
      },
      exited: (r, exit) => this.#dispatch({ type: 'exited', runId: r.runId, exit }),
    });
    this.#run = run;
    this.#loops.started();
    const line = `started ${describeApp(this.options)} (pid ${run.pid ?? '?'})`;
    if (runId === 1) this.#log.info({ runId, pid: run.pid }, line);
    else this.#log.debug({ runId, pid: run.pid }, line);
    this.emit('started', { runId, pid: run.pid });
  }

  // Read before every start, so that an edit to .env applies on the next restart.
  #envFromFile(): Record<string, string> {
    if (!this.options.envFile) return {};
    try {
      return readEnvFile(this.options.envFile);
    } catch (error) {
      this.#log.warn({ err: error }, `could not read ${this.options.envFile}: ${(error as Error).message} (starting without it)`);
      return {};
    }
  }

  #onMessage(run: ChildRun, message: ChildMessage): void {
    switch (message.type) {
      case 'hello':
        return this.#dispatch({ type: 'hello', runId: run.runId });
      case 'ready':
        return this.#dispatch({ type: 'ready', runId: run.runId, inApp: this.#inApp(run.runId) });
      case 'extend':
        return this.#extend(run, message.ms);
      case 'cleanup': {
        if (message.status === 'started') return;
        const { name, status, ms: took, error } = message;
        const report: CleanupReport = error === undefined ? { name, status, ms: took } : { name, status, ms: took, error };
        if (status === 'failed') this.#log.warn({ runId: run.runId, cleanup: report }, `cleanup "${name}" failed after ${took} ms: ${error ?? 'unknown error'}`);
        if (status === 'timed-out') this.#log.warn({ runId: run.runId, cleanup: report }, `cleanup "${name}" timed out after ${took} ms; the next ones still run`);
        this.emit('cleanup', { runId: run.runId, ...report });
        // Without a terminal to redraw, progress is a plain line at each cleanup once the teardown is slow.
        if (this.#progress === undefined && run.stopAskedAt !== undefined && now() - run.stopAskedAt >= PROGRESS_AFTER_MS) {
          this.#showProgress(run);
        }
        return;
      }
      case 'shutdown-done': {
        const summary = message.results.map(describeCleanup).join(', ');
        this.#log.info({ runId: run.runId, cleanups: message.results }, message.results.length > 0 ? `cleanups: ${summary}` : 'no cleanups registered');
        if (message.openHandles.length > 0) {
          this.#log.warn({ runId: run.runId, openHandles: message.openHandles }, `teardown left open: ${formatOpen(message.openHandles)} — is a cleanup missing?`);
        }
        return;
      }
      case 'stopping':
        return; // the plan is kept by the run, for the progress line
      case 'modules':
        return this.#loaded(run, message.files, message.ctimes);
    }
  }

  // The first request to stop a child: remember when (teardown time counts from here), tell listeners, and start
  // the live progress line for cleanups that take a while.
  #stopRequested(run: ChildRun, reason: StopReason | 'signal'): void {
    if (run.stopAskedAt !== undefined) return;
    run.stopAskedAt = now();
    this.emit('stopRequested', { runId: run.runId, reason });
    this.#stopProgress();
    this.#progress = setTimeout(() => this.#showProgress(run), PROGRESS_AFTER_MS);
  }

  // On a terminal: one line, redrawn every 100 ms. Otherwise: a plain line now and whenever a cleanup finishes.
  #showProgress(run: ChildRun): void {
    if (!run.alive || this.#run !== run) return;
    const line = formatProgress({ plan: run.plan, finished: run.cleanups, running: run.running(), elapsedMs: now() - (run.stopAskedAt ?? now()) });
    const status = statusLine(this.#log);
    if (status) {
      status(line);
      this.#progress = setTimeout(() => this.#showProgress(run), 100);
    } else {
      this.#log.info({ runId: run.runId, progress: true }, line);
      this.#progress = undefined;
    }
  }

  #stopProgress(): void {
    clearTimeout(this.#progress);
    this.#progress = undefined;
    statusLine(this.#log)?.(undefined);
  }

  // extendDeadline() in the app: the escalation moves to now + ms, never past stopAskedAt + maxStopTimeout.
  #extend(run: ChildRun, askedMs: number): void {
    if (this.#state.kind !== 'stopping' || this.#state.phase !== 'graceful' || run.stopAskedAt === undefined) return;
    const max = this.options.maxStopTimeout;
    const until = Math.min(now() + askedMs, run.stopAskedAt + max);
    if (until <= this.#deadlineAt) {
      this.#log.info({ runId: run.runId, askedMs }, `app asked for ${askedMs} ms more to stop: refused, maxStopTimeout (${max} ms) reached`);
      return;
    }
    const granted = Math.round(until - now());
    const capped = granted < askedMs ? ` (capped by maxStopTimeout, ${max} ms)` : '';
    this.#log.info({ runId: run.runId, askedMs, granted }, `app asked for ${askedMs} ms more to stop: granted ${granted} ms${capped}`);
    this.#dispatch({ type: 'extend', runId: run.runId, ms: granted });
  }

  #notice(notice: Notice): void {
    const run = notice.runId === null ? undefined : this.#current(notice.runId);
    switch (notice.type) {
      case 'restarting': {
        this.#restart = { trigger: notice.trigger, at: now(), teardownMs: undefined, cleanups: [] };
        if (this.options.clearScreen && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[3J\x1b[H');
        const what = describeTrigger(notice.trigger);
        this.#log.info({ runId: notice.runId, trigger: notice.trigger }, notice.from === 'waiting' ? `${what} → starting` : `${what} → restarting`);
        this.emit('restarting', { runId: notice.runId, trigger: notice.trigger });
        return;
      }
      case 'deferred':
        this.#log.info({ runId: notice.runId, trigger: notice.trigger }, `${describeTrigger(notice.trigger)} while the app starts → restarting once it is ready`);
        return;
      case 'ready':
        return run && this.#ready(run, notice.via);
      case 'escalated': {
        if (!run) return;
        const running = run.running();
        const still = running ? `cleanup "${running.name}" still running after ${seconds(running.forMs)}` : 'the app has not exited';
        const fields = { runId: run.runId, cleanup: running?.name };
        if (notice.forced) this.#log.warn(fields, `forced stop: SIGKILL to the app's process tree (${still})`);
        else if (notice.phase === 'terminating') this.#log.warn(fields, `stop timeout (${this.options.stopTimeout} ms): ${still} → ${this.options.signal}`);
        else this.#log.warn(fields, `app still running ${this.options[notice.waited]} ms after ${this.options.signal} (${still}) → SIGKILL to its process tree`);
        return;
      }
      case 'ended':
        return run && this.#ended(run, notice.exit, notice.asked);
      case 'closing':
        if (notice.runId !== null) this.#log.debug({ runId: notice.runId }, 'closing: stopping the app');
        return;
    }
  }

  #ready(run: ChildRun, via: 'message' | 'timeout'): void {
    const took = ms(run.spawnedAt);
    run.readyAt ??= now();
    const restart = this.#restart;
    if (restart) {
      // One line per restart: what triggered it, how long the old app took to go, how long the new one to come.
      const line = restartSummary({
        number: run.runId - 1,
        trigger: present(this.options.cwd, restart.trigger),
        teardownMs: restart.teardownMs,
        readyMs: via === 'message' ? took : undefined,
        cleanups: this.options.logLevel === 'debug' ? restart.cleanups : undefined,
      });
      this.#log.info({ runId: run.runId, ms: took, teardownMs: restart.teardownMs, totalMs: ms(restart.at) }, line);
    } else if (via === 'message') {
      this.#log.info({ runId: run.runId, ms: took }, `ready in ${took} ms`);
    } else {
      this.#log.debug({ runId: run.runId, ms: took }, `no ready() within ${this.options.readyTimeout} ms: counting the start as ready`);
    }
    this.#restart = undefined;
    this.#crashes = 0;
    this.#loops.ready(now());
    if (run.modulesWatched > 0) this.#log.debug({ runId: run.runId }, `watching ${run.modulesWatched} more files the app loaded`);
    if (run.modulesReported === 0 && reportsModules(this.options) && !this.#noGraphSaid) {
      this.#noGraphSaid = true;
      this.#log.warn({ runId: run.runId }, 'this Node did not report the modules the app loaded: only the entry and the watch paths restart it (or use --watch-all)');
    }
    // What the app started by now is its tree: record it, in case the app later dies without stopping it.
    void run.snapshot();
    this.emit('ready', { runId: run.runId, pid: run.pid, ms: took, via });
    this.#settleReady();
  }

  #ended(run: ChildRun, exit: Exit, asked: boolean): void {
    const running = run.running();
    if (running) {
      // Which of the announced cleanups never got their turn.
      const skipped = run.plan.slice(run.cleanups.length + 1);
      const never = skipped.length > 0 ? `; never ran: ${skipped.join(', ')}` : '';
      this.#log.warn({ runId: run.runId, cleanup: running.name, skipped, exit }, `app ended (${describeExit(exit)}) during cleanup "${running.name}"${never}`);
    }
    if (asked) {
      this.#log.debug({ runId: run.runId, exit }, `app exited (${describeExit(exit)}) ${seconds(ms(run.stopAskedAt ?? run.spawnedAt))} after the request to stop`);
      return;
    }
    const seenWhileStarting = this.#state.kind === 'stopping' && this.#state.next === 'start';
    const next = seenWhileStarting ? 'restarting for the change seen while it started' : this.#afterCrash(run.runId, exit);
    // A crash before ready is usually a broken edit (a syntax error, a bad import): the next save is the fix.
    const when = run.readyAt === undefined ? ' while starting' : '';
    if (exit.code === 0) this.#log.info({ runId: run.runId, exit }, `app exited (0) — ${next}`);
    else this.#log.error({ runId: run.runId, exit }, `app crashed${when} (${describeExit(exit)}) — ${next}`);
    // A start that never got ready is a start that failed: start()/restart() callers learn why.
    const what = `the app ${exit.code === 0 ? 'exited' : 'crashed'} (${describeExit(exit)}) before it was ready`;
    this.#settleReady(new DevsupError('APP_EXITED', what, { exitCode: 1 }));
  }

  #report(run: ChildRun): void {
    const report = run.report();
    if (this.#restart && report.asked) {
      this.#restart.teardownMs = report.teardownMs;
      this.#restart.cleanups = report.cleanups;
    }
    if (report.openHandles.length > 0 || report.killed.length > 0) {
      this.emit('leaked', { runId: run.runId, openHandles: report.openHandles, killed: report.killed });
    }
    this.emit('exited', report);
    if (!report.asked && report.exit.code !== 0) this.emit('crashed', report);
  }

  // onCrash: what follows an app that ended on its own. Returns the words for the log line.
  #afterCrash(runId: number, exit: Exit): string {
    if (exit.code === 0 || this.options.onCrash === 'wait') return 'waiting for changes';
    if (this.options.onCrash === 'exit') {
      void this.close();
      return 'exiting (onCrash: exit)';
    }
    this.#crashes += 1;
    const delay = Math.min(100 * 2 ** (this.#crashes - 1), 10_000);
    const attempt = (after: number) => {
      clearTimeout(this.#crashTimer);
      this.#crashTimer = setTimeout(() => {
        const state = this.#state;
        if (!('runId' in state) || state.runId !== runId) return; // a change, rs or close moved on meanwhile
        if (state.kind === 'waiting') this.#dispatch({ type: 'restart', reason: 'crash' });
        else if (state.kind === 'stopping' && state.next === 'wait') attempt(50); // its tree is still being reaped
      }, after);
    };
    attempt(delay);
    return `restarting in ${seconds(delay)} (onCrash: restart, attempt ${this.#crashes})`;
  }

  #finish(exitCode: number): void {
    clearTimeout(this.#crashTimer);
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#stopProgress();
    this.#settleReady(new DevsupError('CLOSED', 'the supervisor was closed', { exitCode }));
    void (this.#watcher?.close() ?? Promise.resolve()).then(() => {
      this.emit('closed', { exitCode });
      this.#closeEventLog?.();
      this.#resolveClosed?.(exitCode);
    });
  }
}

export interface CreateOptions {
  /** Where devsup logs; by default pino writing human lines (or JSON, per logFormat) to stderr. */
  logger?: Logger;
}

/** Creates a supervisor from the same options as supervisor.config.ts. Nothing starts until start(). */
export function createSupervisor(config: Config, create: CreateOptions = {}): Supervisor {
  const options = normalize([{ source: 'createSupervisor', values: { ...config }, base: process.cwd() }]);
  const logger = create.logger ?? createLogger({ format: options.logFormat, level: options.logLevel });
  return new Supervisor(options, logger);
}
