// The supervisor: the public API (start, restart, close, events) around the state machine. It feeds the machine
// what happens — file changes, the app's messages, exits, timers — and hands each effect to the interpreter
// (effects.ts). It decides nothing itself. No process.exit, no signal handlers.
import { EventEmitter } from 'node:events';
import { extname, relative } from 'node:path';
import { normalize } from '../config/normalize.js';
import type { Config, Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import { DevsupError } from '../core/errors.js';
import { initialState, transition, type Event, type State } from '../core/machine.js';
import type { Policy } from '../core/state.js';
import type { ChildRun, RunHandlers } from '../process/child-run.js';
import { checkRunnable, describeApp } from '../process/spawn.js';
import type { ChildMessage } from '../protocol/messages.js';
import { WATCHED_BY_DEFAULT, watchTargets } from '../watch/targets.js';
import type { Watcher } from '../watch/watcher.js';
import { Shell } from './effects.js';
import { attachEventLog } from './event-log.js';
import { installHooks } from './hooks.js';
import { ListenHints } from './listen-hints.js';
import { createLogger, type Logger } from './logger.js';

export type { CleanupReport, SupervisorEvents, TeardownReport } from '../core/events.js';

export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly options: Options;
  readonly #log: Logger;
  readonly #policy: Policy;
  #state: State = initialState;
  #queue: Event[] = [];
  #dispatching = false;
  readonly #shell: Shell;
  #started: Promise<void> | undefined;
  #closing = false;
  readonly #closed: Promise<number>;
  readonly #readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Whether the inotify watch limit was reported (once is enough). */
  #watchLimitSaid = false;
  readonly #listenHints = new ListenHints();

  constructor(options: Options, logger: Logger) {
    super();
    this.options = options;
    this.#log = logger;
    this.#policy = { onCrash: options.onCrash, maxStopTimeout: options.maxStopTimeout, warmStandby: options.standby === 'warm' };
    installHooks(this, options.hooks, logger);
    let resolveClosed!: (exitCode: number) => void;
    this.#closed = new Promise<number>((resolve) => (resolveClosed = resolve));
    this.#shell = new Shell({
      options,
      log: logger,
      emitter: this,
      dispatch: (event) => this.#dispatch(event),
      handlers: this.#runHandlers(),
      settleReady: (error) => {
        for (const w of this.#readyWaiters.splice(0)) (error ? w.reject(error) : w.resolve());
      },
      closed: (exitCode) => resolveClosed(exitCode),
    });
  }

  get state(): State {
    return this.#state;
  }

  /** The current child's pid, if one is running. */
  get pid(): number | undefined {
    const run = this.#shell.run;
    return run?.alive ? run.pid : undefined;
  }

  /** Starts the app and the watcher. Resolves when the first child is ready; rejects if it cannot start. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      checkRunnable(this.options);
      await this.#holdSockets();
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
    this.#shell.loops.resume();
    const waiter = this.#nextReady();
    this.#dispatch({ type: 'restart' });
    return waiter;
  }

  /**
   * Stops the app gracefully (its cleanups run), then the watcher. Resolves with the exit code the app ended with.
   * Idempotent; `{ force: true }` skips what is left of the teardown and SIGKILLs the app's process tree.
   */
  close(options: { force?: boolean } = {}): Promise<number> {
    if (!this.#closing || options.force) this.#dispatch({ type: 'close' });
    this.#closing = true;
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #nextReady(): Promise<void> {
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  #dispatch(event: Event): void {
    // Effects may feed events back synchronously: queue them so that each transition completes before the next.
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        const from = this.#state;
        const step = transition(from, next, this.#policy);
        this.#state = step.state;
        if (step.state !== from) {
          const runId = 'runId' in step.state ? step.state.runId : undefined;
          this.#log.debug({ from: from.kind, to: step.state.kind, event: next.type, runId }, `${from.kind} → ${step.state.kind} on ${next.type}`);
        }
        for (const effect of step.effects) this.#shell.perform(effect);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  // Before the first start: bound once, held for devsup's whole life (process/sockets.ts). A taken port stops here.
  async #holdSockets(): Promise<void> {
    if (this.options.sockets.length === 0) return;
    const { HeldSockets, socketUrl } = await import('../process/sockets.js');
    const sockets = await HeldSockets.bind(this.options.sockets);
    this.#shell.sockets = sockets;
    for (const spec of sockets.specs) {
      this.#log.info({ socket: spec }, `listening on ${socketUrl(spec)} (held by devsup: no request is refused while the app restarts)`);
    }
  }

  #openEventLog(): void {
    if (this.options.events === undefined) return;
    try {
      const close = attachEventLog(this, this.options.events, (error) =>
        this.#log.warn({ err: error }, `event log: ${error.message} (no more events are written there)`),
      );
      this.once('closed', () => close());
    } catch (error) {
      throw new DevsupError('EVENTS_UNWRITABLE', `cannot write events to ${String(this.options.events)}: ${(error as Error).message}`, {
        hint: 'give --events a writable file, or an open file descriptor',
        cause: error,
      });
    }
  }

  // Loaded after the app was spawned: chokidar and picomatch are ~30 ms of the first start that the app need not wait for.
  async #startWatcher(): Promise<void> {
    const { startWatcher } = await import('../watch/watcher.js');
    const { WatchSet } = await import('../watch/watch-set.js');
    if (this.#state.kind === 'closed') return;
    const { cwd, ignore, ext, quietPeriod, poll } = this.options;
    const targets = watchTargets(this.options);
    const shell = this.#shell;
    const watcher: Watcher = startWatcher({
      set: new WatchSet({ root: cwd, watch: targets.watch, named: targets.named, ignore, ext }),
      quietMs: quietPeriod,
      poll,
      freshness: shell.freshness,
      onChange: (paths) => this.#changed(paths),
      onSettled: (paths) => {
        this.emit('settled', { paths });
        this.#dispatch({ type: 'settled' });
      },
      onIgnored: (path, rule) => {
        this.#log.debug({ path, rule }, `ignored ${path} (${rule})`);
        this.emit('ignored', { path, rule });
      },
      onError: (error) => this.#watchError(error),
    });
    shell.watcher = watcher;
    for (const files of shell.loadedEarly.splice(0)) watcher.addLoaded(files);
    void watcher.ready.then(() => {
      const shown = [
        ...(targets.graph ? ['the files the app loads'] : []),
        ...targets.watch.map((p) => relative(cwd, p) || '.'),
        WATCHED_BY_DEFAULT.join(', '),
      ];
      this.#log.info({ watch: targets.watch, named: targets.named }, `watching ${shown.join(', ')}`);
    });
  }

  #watchError(error: NodeJS.ErrnoException): void {
    if (error.code === 'ENOSPC') {
      // Every watch after the limit fails alike: said once, each further path only with --verbose.
      if (this.#watchLimitSaid) return this.#log.debug({ err: error }, `watcher: ${error.message}`);
      this.#watchLimitSaid = true;
      const hint = 'the inotify watch limit is reached: raise it with sudo sysctl fs.inotify.max_user_watches=524288, ignore large folders, or use --poll';
      return this.#log.error({ err: error }, `watcher: ${error.message} (${hint})`);
    }
    this.#log.error({ err: error }, `watcher: ${error.message} (devsup keeps running; changes under that path may be missed)`);
  }

  // Files changed (grouped per turn of the event loop). Judged again now: the app's report of a file it generated can
  // arrive after chokidar saw the file being written. The loop guard judges those the app might be writing itself.
  #changed(changed: string[]): void {
    const { freshness, loops, watcher } = this.#shell;
    const paths = changed.filter((p) => !freshness.inApp(p));
    if (paths.length === 0) return;
    // The app's own code is what a person edits: a loaded module, or (without a module graph) a file like the entry.
    const code = this.options.entry === undefined ? undefined : extname(this.options.entry);
    const written = paths.filter((p) => !watcher?.isLoaded(p) && extname(p) !== code);
    for (const p of paths) this.#shell.changedSinceSpawn.add(p);
    const loop = loops.changed(paths, performance.now(), written);
    if (loop.kind === 'restart') this.emit('changed', { paths });
    this.#dispatch({ type: 'changed', paths, loop });
  }

  #runHandlers(): RunHandlers {
    return {
      message: (run: ChildRun, message: ChildMessage) => this.#onMessage(run, message),
      ignored: (run: ChildRun, why: string) => this.#log.debug({ runId: run.runId, why }, `ignored an IPC message from the app: ${why}`),
      disconnected: (run: ChildRun) => {
        this.#log.info({ runId: run.runId }, `the app closed its IPC channel; it will be stopped with ${this.options.signal}`);
        this.#dispatch({ type: 'disconnected', runId: run.runId });
      },
      failed: (run: ChildRun, error: NodeJS.ErrnoException) => {
        // It never started: a command that does not exist (exit 127, as a shell says) or may not be run (126).
        const [what, hint, code] =
          error.code === 'ENOENT' ? ['command not found', 'check --exec and the PATH', 127]
          : error.code === 'EACCES' ? ['permission denied', 'is it executable?', 126]
          : [error.message, 'devsup keeps running', 1];
        this.#log.error({ err: error, runId: run.runId }, `could not start ${describeApp(this.options)}: ${what} (${hint})`);
        run.failedToStart({ code, signal: null });
        this.#dispatch({ type: 'exited', runId: run.runId, exit: { code, signal: null } });
      },
      exited: (run: ChildRun, exit: { code: number | null; signal: string | null }) => this.#dispatch({ type: 'exited', runId: run.runId, exit }),
    };
  }

  #onMessage(run: ChildRun, message: ChildMessage): void {
    const { runId } = run;
    const shell = this.#shell;
    switch (message.type) {
      case 'hello':
        return this.#dispatch({ type: 'hello', runId });
      case 'ready':
        return this.#dispatch({ type: 'ready', runId, inApp: shell.inApp(run) });
      case 'extend': {
        const elapsedMs = run.stopAskedAt === undefined ? 0 : performance.now() - run.stopAskedAt;
        return this.#dispatch({ type: 'extend', runId, ms: message.ms, elapsedMs, deadlineInMs: shell.timers.deadlineLeft() });
      }
      case 'cleanup': {
        if (message.status === 'started') return;
        const { name, status, ms: took, error } = message;
        const report = error === undefined ? { name, status, ms: took } : { name, status, ms: took, error };
        if (status === 'failed') this.#log.warn({ runId, cleanup: report }, `cleanup "${name}" failed after ${took} ms: ${error ?? 'unknown error'}`);
        if (status === 'timed-out') this.#log.warn({ runId, cleanup: report }, `cleanup "${name}" timed out after ${took} ms; the next ones still run`);
        this.emit('cleanup', { runId, ...report });
        shell.progress.cleanupFinished(run, () => shell.run);
        return;
      }
      case 'shutdown-done':
        return this.#dispatch({ type: 'shutdown-done', runId, results: message.results, openHandles: message.openHandles });
      case 'stopping':
        return; // the plan is kept by the run, for the progress line
      case 'modules':
        return shell.loaded(run, message.files, message.ctimes);
      case 'listen': {
        const said = this.#listenHints.line(message, this.options.sockets);
        // Without --socket at all, the output stays what it was: the hint only with --verbose.
        const level = said?.level === 'info' && this.options.sockets.length === 0 ? 'debug' : said?.level;
        if (said && level) this.#log[level]({ runId, port: message.port, host: message.host }, said.text);
        return;
      }
    }
  }
}

/** Options of createSupervisor beyond the config's. */
export interface CreateOptions {
  /** Where devsup logs; by default pino writing human lines (or JSON, per logFormat) to stderr. */
  logger?: Logger;
}

/** Creates a supervisor from the same options as supervisor.config.ts. Nothing starts until start(). */
export function createSupervisor(config: Config, create: CreateOptions = {}): Supervisor {
  const deprecated: string[] = [];
  const options = normalize([{ source: 'createSupervisor', values: { ...config }, base: process.cwd() }], process.cwd(), (line) => deprecated.push(line));
  const logger = create.logger ?? createLogger({ format: options.logFormat, level: options.logLevel });
  for (const line of deprecated) logger.warn({ deprecated: true }, line);
  return new Supervisor(options, logger);
}
