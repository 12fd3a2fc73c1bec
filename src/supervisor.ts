// The I/O shell around the state machine: performs its effects (spawn, send, signal, timers, reap, log) and feeds
// what happens (messages, exits, timers, file changes) back in as events. No process.exit, no signal handlers.
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, relative } from 'node:path';
import { normalize, type Config, type Options } from './config.js';
import { DevsupError, didYouMean } from './errors.js';
import { attachEventLog } from './event-log.js';
import { createLogger, statusLine, type Logger } from './logger.js';
import { initialState, transition, type Effect, type Event, type Exit, type Notice, type State, type Trigger } from './machine.js';
import { parseChildMessage, shutdownMessage, type CleanupResult, type OpenResource, type StopReason } from './protocol.js';
import { describeCleanup, describeExit, describeTrigger, formatOpen, formatProgress, formatReaped, restartSummary, seconds } from './report.js';
import { descendantsOf, listProcesses, reap, signalTree, type Proc, type Reaped } from './process-tree.js';
import { ENTRY_EXTENSIONS, readEnvFile, spawnChild, type Child } from './spawn.js';
import { startWatcher, type Watcher } from './watcher.js';

export type CleanupReport = CleanupResult;

/** What one child's teardown did: which cleanups ran and how long, what was still running, what had to be killed. */
export interface TeardownReport {
  runId: number;
  exit: Exit;
  /** Whether devsup asked it to stop (restart, close), or it ended on its own. */
  asked: boolean;
  /** From the first request to stop until the process exited; undefined when it ended unasked. */
  teardownMs: number | undefined;
  cleanups: CleanupReport[];
  /** The cleanup that was running when the process exited or was killed, if any. */
  interrupted: string | undefined;
  /** What still kept the app alive after its cleanups (reported by devsup/child). */
  openHandles: OpenResource[];
  /** Descendants that outlived the app and had to be killed, with what they listened on. */
  killed: Reaped[];
}

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
}

interface Run {
  runId: number;
  child: Child;
  pid: number | undefined;
  spawnedAt: number;
  stopAskedAt: number | undefined;
  cleanups: CleanupReport[];
  /** The cleanup running now (they run one at a time), and since when. */
  cleaning: { name: string; since: number } | undefined;
  /** The cleanups the app announced, in the order they will run. */
  plan: string[];
  openHandles: OpenResource[];
  shutdownDone: boolean;
  /** Every descendant seen while the tree was intact, by pid. */
  seen: Map<number, Proc>;
  snapshot: Promise<void>;
  exit: Exit | undefined;
  killed: Reaped[];
}

const now = () => performance.now();
const ms = (from: number) => Math.round(now() - from);
// Cleanups running longer than this get a live progress line.
const PROGRESS_AFTER_MS = 500;

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly options: Options;
  readonly #log: Logger;
  #state: State = initialState;
  #run: Run | undefined;
  #timers = new Map<string, NodeJS.Timeout>();
  #watcher: Watcher | undefined;
  #queue: Event[] = [];
  #dispatching = false;
  /** The restart under way: what triggered it, when the old child was asked to stop, and how long its teardown took. */
  #restart: { trigger: Trigger; at: number; teardownMs: number | undefined; cleanups: CleanupResult[] } | undefined;
  #progress: NodeJS.Timeout | undefined;
  #closeEventLog: (() => void) | undefined;
  /** When the escalate timer fires, for extendDeadline(). */
  #deadlineAt = 0;
  #started: Promise<void> | undefined;
  #closing: Promise<number> | undefined;
  #resolveClosed: ((exitCode: number) => void) | undefined;
  #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Crashes in a row (reset when a child gets ready), for onCrash: 'restart' backoff. */
  #crashes = 0;
  #crashTimer: NodeJS.Timeout | undefined;

  constructor(options: Options, logger: Logger) {
    super();
    this.options = options;
    this.#log = logger;
    this.#installHooks(options.hooks);
  }

  // Hooks run in the supervisor; one that throws or rejects is reported, never allowed to stop devsup.
  #installHooks(hooks: Options['hooks']): void {
    const call = (name: string, hook: ((event: never) => unknown) | undefined, event: unknown) => {
      if (!hook) return;
      const failed = (error: unknown) =>
        this.#log.warn({ err: error, hook: name }, `hook ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      try {
        const result = hook(event as never) as { then?: unknown } | undefined;
        if (result && typeof result.then === 'function') (result as Promise<unknown>).then(undefined, failed);
      } catch (error) {
        failed(error);
      }
    };
    this.on('started', (e) => call('start', hooks.start, e));
    this.on('ready', (e) => call('ready', hooks.ready, e));
    this.on('restarting', (e) => call('restart', hooks.restart, e));
    this.on('crashed', (e) => call('crash', hooks.crash, e));
    this.on('exited', (e) => call('exit', hooks.exit, e));
  }

  get state(): State {
    return this.#state;
  }

  /** The current child's pid, if one is running. */
  get pid(): number | undefined {
    return this.#run?.exit === undefined ? this.#run?.pid : undefined;
  }

  /** Starts the app and the watcher. Resolves when the first child is ready; rejects if it cannot start. */
  start(): Promise<void> {
    if (this.#started) return this.#started;
    this.#started = (async () => {
      this.#checkEntry();
      this.#openEventLog();
      const waiter = this.#nextReady();
      this.#startWatcher();
      this.#dispatch({ type: 'start' });
      await waiter;
    })();
    return this.#started;
  }

  /** Restarts the app (as `rs` does). Resolves when the new child is ready. */
  restart(): Promise<void> {
    const waiter = this.#nextReady();
    this.#dispatch({ type: 'restart' });
    return waiter;
  }

  /**
   * Stops the app gracefully (its cleanups run), then the watcher. Resolves with the exit code the app ended with.
   * Idempotent; `{ force: true }` skips what is left of the teardown and SIGKILLs the app's process tree.
   */
  close(options: { force?: boolean } = {}): Promise<number> {
    if (this.#closing) {
      if (options.force) this.#dispatch({ type: 'close' });
      return this.#closing;
    }
    this.#closing = new Promise<number>((resolve) => (this.#resolveClosed = resolve));
    this.#dispatch({ type: 'close' });
    if (options.force) this.#dispatch({ type: 'close' });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #checkEntry(): void {
    const entry = this.options.entry;
    if (this.options.envFile && !existsSync(this.options.envFile)) {
      throw new DevsupError('ENV_FILE_NOT_FOUND', `env file not found: ${relative(this.options.cwd, this.options.envFile)}`, {
        hint: 'check envFile / --dotenv',
      });
    }
    // With `exec`, the command is the app; an entry, if given, is just its first argument.
    if (this.options.exec && !entry) return;
    if (!entry) {
      throw new DevsupError('ENTRY_MISSING', 'no entry to run', {
        hint: 'devsup run src/server.ts, or set entry in supervisor.config.ts',
      });
    }
    const shown = relative(this.options.cwd, entry) || entry;
    if (!existsSync(entry)) {
      const dir = dirname(entry);
      const near = existsSync(dir) ? didYouMean(basename(entry), readdirSync(dir)) : undefined;
      throw new DevsupError('ENTRY_NOT_FOUND', `entry not found: ${shown}`, {
        hint: near ? `did you mean ${relative(this.options.cwd, `${dir}/${near}`)}?` : 'check the path',
      });
    }
    if (this.options.exec) return;
    if (statSync(entry).isDirectory()) {
      throw new DevsupError('ENTRY_IS_DIRECTORY', `entry is a directory: ${shown}`, {
        hint: 'name the file that starts the app, e.g. src/server.ts',
      });
    }
    if (!ENTRY_EXTENSIONS.includes(extname(entry))) {
      throw new DevsupError('ENTRY_UNSUPPORTED', `cannot run ${shown}: not a JavaScript or TypeScript file`, {
        hint: `entries end in ${ENTRY_EXTENSIONS.join(', ')}`,
      });
    }
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

  #startWatcher(): void {
    const watcher = startWatcher({
      root: this.options.cwd,
      paths: this.options.watch,
      ignore: this.options.ignore,
      ext: this.options.ext,
      debounce: this.options.debounce,
      poll: this.options.poll,
      onChange: (paths) => {
        this.emit('changed', { paths });
        this.#dispatch({ type: 'changed', paths });
      },
      onSettled: () => this.#dispatch({ type: 'settled' }),
      onError: (error) => {
        const hint =
          error.code === 'ENOSPC'
            ? 'the inotify watch limit is reached: raise it with sudo sysctl fs.inotify.max_user_watches=524288, or ignore large folders'
            : 'devsup keeps running; changes under that path may be missed';
        this.#log.error({ err: error }, `watcher: ${error.message} (${hint})`);
      },
    });
    this.#watcher = watcher;
    void watcher.ready.then(() => {
      const shown = this.options.watch.map((p) => relative(this.options.cwd, p) || '.').join(', ');
      this.#log.info({ watch: this.options.watch }, `watching ${shown}`);
    });
  }

  /** How the app is named in the log: its entry relative to the project, or the command. */
  #appName(): string {
    const entry = this.options.entry === undefined ? undefined : relative(this.options.cwd, this.options.entry);
    if (!this.options.exec) return entry ?? '?';
    return [...this.options.exec, ...(entry === undefined ? [] : [entry])].join(' ');
  }

  // Read before every start, so that an edit to .env applies on the next restart.
  #envFromFile(): Record<string, string> {
    if (!this.options.envFile) return {};
    try {
      return readEnvFile(this.options.envFile);
    } catch (error) {
      this.#log.warn({ err: error }, `could not read ${relative(this.options.cwd, this.options.envFile)}: ${(error as Error).message} (starting without it)`);
      return {};
    }
  }

  #nextReady(): Promise<void> {
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  #settleReady(error?: Error): void {
    const waiters = this.#readyWaiters.splice(0);
    for (const w of waiters) (error ? w.reject(error) : w.resolve());
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
          this.#log.debug(
            { from: from.kind, to: step.state.kind, event: next.type, runId: 'runId' in step.state ? step.state.runId : undefined },
            `${from.kind} → ${step.state.kind} on ${next.type}`,
          );
        }
        for (const effect of step.effects) this.#perform(effect);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #current(runId: number): Run | undefined {
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
        void this.#snapshot(run).then(() => {
          if (run.exit !== undefined) return;
          if (run.child.connected) {
            run.child.send(message);
            this.#log.debug({ runId: run.runId, reason: effect.reason }, `asked the app to shut down (${effect.reason})`);
          } else {
            this.#log.debug({ runId: run.runId }, `IPC channel closed; sending ${this.options.signal}`);
            this.#kill(run, this.options.signal);
          }
        });
        return;
      }
      case 'signal': {
        const run = this.#current(effect.runId);
        if (!run) return;
        this.#stopRequested(run, 'signal');
        const signal = effect.signal === 'stop' ? this.options.signal : effect.signal;
        void this.#snapshot(run).then(() => {
          if (run.exit !== undefined || run.pid === undefined) return;
          if (effect.tree) void signalTree(run.pid, signal);
          else this.#kill(run, signal);
        });
        return;
      }
      case 'arm': {
        clearTimeout(this.#timers.get(effect.timer));
        const event: Event =
          effect.timer === 'ready' ? { type: 'ready-timeout', runId: effect.runId } : { type: 'escalate', runId: effect.runId };
        const after = typeof effect.duration === 'object' ? effect.duration.ms : this.options[effect.duration];
        if (effect.timer === 'escalate') this.#deadlineAt = now() + after;
        this.#timers.set(effect.timer, setTimeout(() => this.#dispatch(event), after));
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
        void (async () => {
          await run.snapshot;
          run.killed = await reap(run.seen.values());
          if (run.killed.length > 0) {
            const n = run.killed.length;
            this.#log.warn({ runId: run.runId, killed: run.killed }, `killed ${n} leftover process${n > 1 ? 'es' : ''} of the old app: ${formatReaped(run.killed)}`);
          }
          this.#report(run);
          this.#dispatch({ type: 'reaped', runId: run.runId });
        })();
        return;
      }
      case 'notify':
        return this.#notice(effect.notice);
      case 'finish':
        return this.#finish(effect.exitCode);
    }
  }

  // The first request to stop a child: remember when (teardown time counts from here), tell listeners, and start
  // the live progress line for cleanups that take a while.
  #stopRequested(run: Run, reason: StopReason | 'signal'): void {
    if (run.stopAskedAt !== undefined) return;
    run.stopAskedAt = now();
    this.emit('stopRequested', { runId: run.runId, reason });
    this.#stopProgress();
    this.#progress = setTimeout(() => this.#showProgress(run), PROGRESS_AFTER_MS);
  }

  // On a terminal: one line, redrawn every 100 ms. Otherwise: a plain line now and whenever a cleanup finishes.
  #showProgress(run: Run): void {
    if (run.exit !== undefined || this.#run !== run) return;
    const line = formatProgress({
      plan: run.plan,
      finished: run.cleanups,
      running: this.#running(run),
      elapsedMs: now() - (run.stopAskedAt ?? now()),
    });
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
  #extend(run: Run, askedMs: number): void {
    if (this.#state.kind !== 'stopping' || this.#state.phase !== 'graceful' || run.stopAskedAt === undefined) return;
    const cap = run.stopAskedAt + this.options.maxStopTimeout;
    const until = Math.min(now() + askedMs, cap);
    if (until <= this.#deadlineAt) {
      this.#log.info({ runId: run.runId, askedMs }, `app asked for ${askedMs} ms more to stop: refused, maxStopTimeout (${this.options.maxStopTimeout} ms) reached`);
      return;
    }
    const granted = Math.round(until - now());
    const capped = granted < askedMs ? ` (capped by maxStopTimeout, ${this.options.maxStopTimeout} ms)` : '';
    this.#log.info({ runId: run.runId, askedMs, granted }, `app asked for ${askedMs} ms more to stop: granted ${granted} ms${capped}`);
    this.#dispatch({ type: 'extend', runId: run.runId, ms: granted });
  }

  #spawn(runId: number): void {
    const child = spawnChild(this.options, this.#envFromFile());
    const run: Run = {
      runId,
      child,
      pid: child.pid,
      spawnedAt: now(),
      stopAskedAt: undefined,
      cleanups: [],
      cleaning: undefined,
      plan: [],
      openHandles: [],
      shutdownDone: false,
      seen: new Map(),
      snapshot: Promise.resolve(),
      exit: undefined,
      killed: [],
    };
    this.#run = run;
    // reject: false, but the promise must still be observed.
    child.catch(() => {});
    child.on('message', (message: unknown) => this.#onMessage(run, message));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return this.#log.debug({ err: error, runId }, `child process error: ${error.message}`);
      // It never started: a command that does not exist (exit 127, as a shell says) or may not be run (126).
      const [what, hint, code] =
        error.code === 'ENOENT' ? ['command not found', 'check --exec and the PATH', 127]
        : error.code === 'EACCES' ? ['permission denied', 'is it executable?', 126]
        : [error.message, 'devsup keeps running', 1];
      this.#log.error({ err: error, runId }, `could not start ${this.#appName()}: ${what} (${hint})`);
      this.#onExit(run, { code, signal: null });
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => this.#onExit(run, { code, signal }));
    const line = `started ${this.#appName()} (pid ${child.pid ?? '?'})`;
    if (runId === 1) this.#log.info({ runId, pid: child.pid }, line);
    else this.#log.debug({ runId, pid: child.pid }, line);
    this.emit('started', { runId, pid: child.pid });
  }

  #onExit(run: Run, exit: Exit): void {
    if (run.exit !== undefined) return;
    run.exit = exit;
    this.#dispatch({ type: 'exited', runId: run.runId, exit });
  }

  #kill(run: Run, signal: NodeJS.Signals): void {
    try {
      if (run.pid !== undefined) process.kill(run.pid, signal);
    } catch {
      // gone already: its exit event is on the way
    }
  }

  // Adds the app's current descendants to what this run has seen. Chained, so that a reap waits for all of them.
  #snapshot(run: Run): Promise<void> {
    run.snapshot = run.snapshot.then(async () => {
      if (run.pid === undefined || run.exit !== undefined) return;
      try {
        for (const p of descendantsOf(run.pid, await listProcesses())) run.seen.set(p.pid, p);
      } catch (error) {
        this.#log.debug({ err: error }, 'could not list processes');
      }
    });
    return run.snapshot;
  }

  #onMessage(run: Run, raw: unknown): void {
    const parsed = parseChildMessage(raw);
    if (!parsed.ok) {
      this.#log.debug({ runId: run.runId, why: parsed.why }, `ignored an IPC message from the app: ${parsed.why}`);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'hello':
        return this.#dispatch({ type: 'hello', runId: run.runId });
      case 'ready':
        return this.#dispatch({ type: 'ready', runId: run.runId });
      case 'stopping':
        run.plan = message.cleanups;
        return;
      case 'extend':
        return this.#extend(run, message.ms);
      case 'cleanup': {
        const { name, status, ms: took, error } = message;
        if (status === 'started') {
          run.cleaning = { name, since: now() };
          return;
        }
        const report: CleanupReport = error === undefined ? { name, status, ms: took } : { name, status, ms: took, error };
        run.cleaning = undefined;
        run.cleanups.push(report);
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
        run.shutdownDone = true;
        run.openHandles = message.openHandles;
        const summary = message.results.map(describeCleanup).join(', ');
        this.#log.info({ runId: run.runId, cleanups: message.results }, message.results.length > 0 ? `cleanups: ${summary}` : 'no cleanups registered');
        if (message.openHandles.length > 0) {
          this.#log.warn({ runId: run.runId, openHandles: message.openHandles }, `teardown left open: ${formatOpen(message.openHandles)} — is a cleanup missing?`);
        }
        return;
      }
    }
  }

  /** The cleanup that was running at this moment, with how long it has been running. */
  #running(run: Run): { name: string; forMs: number } | undefined {
    return run.cleaning ? { name: run.cleaning.name, forMs: now() - run.cleaning.since } : undefined;
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
      case 'ready': {
        if (!run) return;
        const took = ms(run.spawnedAt);
        const restart = this.#restart;
        if (restart) {
          // One line per restart: what triggered it, how long the old app took to go, how long the new one to come.
          const line = restartSummary({
            number: run.runId - 1,
            trigger: restart.trigger,
            teardownMs: restart.teardownMs,
            readyMs: notice.via === 'message' ? took : undefined,
            cleanups: this.options.logLevel === 'debug' ? restart.cleanups : undefined,
          });
          this.#log.info({ runId: run.runId, ms: took, teardownMs: restart.teardownMs, totalMs: ms(restart.at) }, line);
        } else if (notice.via === 'message') {
          this.#log.info({ runId: run.runId, ms: took }, `ready in ${took} ms`);
        } else {
          this.#log.debug({ runId: run.runId, ms: took }, `no ready() within ${this.options.readyTimeout} ms: counting the start as ready`);
        }
        this.#restart = undefined;
        this.#crashes = 0;
        // What the app started by now is its tree: record it, in case the app later dies without stopping it.
        void this.#snapshot(run);
        this.emit('ready', { runId: run.runId, pid: run.pid, ms: took, via: notice.via });
        this.#settleReady();
        return;
      }
      case 'escalated': {
        if (!run) return;
        const running = this.#running(run);
        const still = running ? `cleanup "${running.name}" still running after ${seconds(running.forMs)}` : 'the app has not exited';
        if (notice.forced) {
          this.#log.warn({ runId: run.runId, cleanup: running?.name }, `forced stop: SIGKILL to the app's process tree (${still})`);
        } else if (notice.phase === 'terminating') {
          this.#log.warn({ runId: run.runId, cleanup: running?.name }, `stop timeout (${this.options.stopTimeout} ms): ${still} → ${this.options.signal}`);
        } else {
          const waited = this.options[notice.waited];
          this.#log.warn({ runId: run.runId, cleanup: running?.name }, `app still running ${waited} ms after ${this.options.signal} (${still}) → SIGKILL to its process tree`);
        }
        return;
      }
      case 'ended':
        return this.#ended(notice.runId, notice.exit, notice.asked);
      case 'closing':
        if (notice.runId !== null) this.#log.debug({ runId: notice.runId }, 'closing: stopping the app');
        return;
    }
  }

  #ended(runId: number, exit: Exit, asked: boolean): void {
    const run = this.#current(runId);
    if (!run) return;
    const running = this.#running(run);
    if (running) {
      this.#log.warn({ runId, cleanup: running.name, exit }, `app ended (${describeExit(exit)}) during cleanup "${running.name}"`);
    }
    if (asked) {
      this.#log.debug({ runId, exit }, `app exited (${describeExit(exit)}) ${seconds(ms(run.stopAskedAt ?? run.spawnedAt))} after the request to stop`);
      return;
    }
    const next = this.#state.kind === 'stopping' && this.#state.next === 'start' ? 'restarting for the change seen while it started' : this.#afterCrash(runId, exit);
    if (exit.code === 0) this.#log.info({ runId, exit }, `app exited (0) — ${next}`);
    else this.#log.error({ runId, exit }, `app crashed (${describeExit(exit)}) — ${next}`);
    // A start that never got ready is a start that failed: start()/restart() callers learn why.
    this.#settleReady(new DevsupError('APP_EXITED', `the app ${exit.code === 0 ? 'exited' : 'crashed'} (${describeExit(exit)}) before it was ready`, { exitCode: 1 }));
  }

  #report(run: Run): void {
    const exit = run.exit ?? { code: null, signal: null };
    const report: TeardownReport = {
      runId: run.runId,
      exit,
      asked: run.stopAskedAt !== undefined,
      teardownMs: run.stopAskedAt === undefined ? undefined : ms(run.stopAskedAt),
      cleanups: run.cleanups,
      interrupted: run.cleaning?.name,
      openHandles: run.openHandles,
      killed: run.killed,
    };
    if (this.#restart && report.asked) {
      this.#restart.teardownMs = report.teardownMs;
      this.#restart.cleanups = run.cleanups;
    }
    if (report.openHandles.length > 0 || report.killed.length > 0) {
      this.emit('leaked', { runId: run.runId, openHandles: report.openHandles, killed: report.killed });
    }
    this.emit('exited', report);
    if (!report.asked && exit.code !== 0) this.emit('crashed', report);
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
    this.#settleReady(new DevsupError('CLOSED', 'the supervisor was closed', { exitCode }));
    this.#stopProgress();
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
