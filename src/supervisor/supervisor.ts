// The supervisor: the public API (start, restart, close, events) around the state machine. It feeds the machine
// what happens — file changes, the app's messages, exits, timers — and hands each effect to the interpreter
// (effects.ts). It decides nothing itself. No process.exit, no signal handlers.
import { EventEmitter } from 'node:events';
import { extname, relative, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { normalize } from '../config/normalize.js';
import type { Config, Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import { DevsupError } from '../core/errors.js';
import { initialState, transition, type Event, type State } from '../core/machine.js';
import type { Policy } from '../core/state.js';
import { debugging } from '../process/inspector.js';

import { checkRunnable, ENTRY_EXTENSIONS } from '../process/spawn.js';
import { Shell } from './effects.js';
import { attachEventLog } from './event-log.js';
import { installHooks } from './hooks.js';
import { ListenHints } from './listen-hints.js';
import { runHandlers, type AppListener } from './app-messages.js';
import { createLogger, type Logger } from './logger.js';
import type { RestartRequest, ServiceLink } from './service-link.js';
import { concerned, startWatching } from './watching.js';

export type { RestartRequest, ServiceLink } from './service-link.js';

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
  readonly #link: ServiceLink | undefined;
  /** A services run: the changes of the burst under way, handed to the orchestrator once it settles. */
  readonly #burst = new Set<string>();
  /** stdio 'pipe': the app's stdout and stderr, every run's in turn (read them: a full pipe stalls the app). */
  readonly stdout: PassThrough | undefined;
  readonly stderr: PassThrough | undefined;

  constructor(options: Options, logger: Logger, link?: ServiceLink) {
    super();
    this.options = options;
    this.#log = logger;
    this.#link = link;
    const gated = options.build !== undefined || link !== undefined;
    const { onCrash, maxStopTimeout } = options;
    const awaitsDebugger = debugging(options)?.waits ?? false;
    this.#policy = { onCrash, maxStopTimeout, warmStandby: options.standby === 'warm', gated, awaitsDebugger };
    if (options.stdio === 'pipe') [this.stdout, this.stderr] = [new PassThrough(), new PassThrough()];
    const output = this.stdout && this.stderr ? { stdout: this.stdout, stderr: this.stderr } : undefined;
    installHooks(this, options.hooks, logger);
    let resolveClosed!: (exitCode: number) => void;
    this.#closed = new Promise<number>((resolve) => (resolveClosed = resolve));
    this.#shell = new Shell({
      options,
      log: logger,
      emitter: this,
      dispatch: (event) => this.#dispatch(event),
      handlers: runHandlers(this.#appListener(logger)),
      settleReady: (error) => {
        for (const w of this.#readyWaiters.splice(0)) (error ? w.reject(error) : w.resolve());
      },
      closed: (exitCode) => resolveClosed(exitCode),
      ...(link ? { beforeStart: () => link.beforeStart() } : {}),
      ...(output ? { output } : {}),
      waitsForDebugger: awaitsDebugger,
    });
  }

  // Where each run's messages, channel and exit are reported (app-messages.ts).
  #appListener(log: Logger): AppListener {
    const dispatch = (event: Event) => this.#dispatch(event);
    const shell = () => this.#shell;
    return { options: this.options, log, emitter: this, listenHints: new ListenHints(), dispatch, get shell() { return shell(); } };
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
      if (!this.#link) this.#openEventLog(); // a services run writes one log for all
      const waiter = this.#nextReady();
      // The app first: the watcher's initial scan of a big project would otherwise compete with its boot.
      this.#dispatch({ type: 'start' });
      void startWatching({
        options: this.options,
        log: this.#log,
        emitter: this,
        shell: this.#shell,
        closed: () => this.#state.kind === 'closed',
        changed: (paths) => this.#changed(paths),
        settled: () => this.#settled(),
      });
      await waiter;
    })();
    return this.#started;
  }

  /**
   * Restarts the app (as `rs` does), now: `reason` is shown in the restart line; with `paths`, it is a restart for
   * those changes (told to the app's shutdown as changed). Resolves when the new child is ready.
   */
  restart(request: RestartRequest = {}): Promise<void> {
    this.#shell.loops.resume();
    const waiter = this.#nextReady();
    const paths = (request.paths ?? []).map((p) => relative(this.options.cwd, resolve(this.options.cwd, p)));
    for (const p of paths) this.#shell.changedSinceSpawn.add(p);
    const why = request.reason === undefined ? {} : { why: request.reason };
    this.#dispatch({ type: 'restart', ...(paths.length > 0 ? { reason: 'change' as const, paths } : {}), ...why });
    return waiter;
  }

  /**
   * The paths (absolute, or relative to cwd) that concern the running app: in its module graph or its watch
   * entries, and changed since it loaded them. Relative to cwd. Empty before the app reported anything.
   */
  concerns(paths: readonly string[]): string[] {
    return concerned(this.#shell, this.options.cwd, paths);
  }

  /**
   * Files changed (the embedder's watcher, a bundler's rebuild): the module graph decides. Restarts only for the
   * paths that concern the app (see concerns()) and resolves true once the new child is ready; false: nothing to do.
   */
  async notify(paths: readonly string[]): Promise<boolean> {
    const concerned = this.concerns(paths);
    if (concerned.length === 0) return false;
    if (this.#link) {
      this.#link.changed(concerned);
      return true;
    }
    await this.restart({ paths: concerned });
    return true;
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

  // Files changed (grouped per turn of the event loop). Judged again now: the app's report of a file it generated can
  // arrive after chokidar saw the file being written. The loop guard judges those the app might be writing itself.
  #changed(changed: string[]): void {
    const { freshness, loops, watcher } = this.#shell;
    const paths = changed.filter((p) => !freshness.inApp(p));
    if (paths.length === 0) return;
    // The app's own code is what a person edits: a loaded module, or (without a module graph) a file like the entry.
    const code = this.options.entry === undefined ? undefined : extname(this.options.entry);
    // With a build step the files the app loads are what the build writes (a loop through them is the guard's too), and
    // the code a person edits is its sources, which it does not load.
    const written = this.options.build !== undefined
      ? paths.filter((p) => watcher?.isLoaded(p) || !ENTRY_EXTENSIONS.includes(extname(p)))
      : paths.filter((p) => !watcher?.isLoaded(p) && extname(p) !== code);
    for (const p of paths) this.#shell.changedSinceSpawn.add(p);
    const loop = loops.changed(paths, performance.now(), written);
    if (loop.kind === 'restart') this.emit('changed', { paths });
    // A services run: the orchestrator orders the restarts, once the burst has settled (see #settled).
    if (loop.kind === 'restart' && this.#link) {
      if (this.#burst.size === 0) this.#link.changing();
      return void paths.forEach((p) => this.#burst.add(p));
    }
    this.#dispatch({ type: 'changed', paths, loop });
  }

  #settled(): void {
    if (!this.#link) return this.#dispatch({ type: 'settled' });
    if (this.#burst.size === 0) return;
    const paths = [...this.#burst].filter((p) => !this.#shell.freshness.inApp(p));
    this.#burst.clear();
    this.#link.changed(paths);
  }
}

/** Options of createSupervisor beyond the config's. */
export interface CreateOptions {
  /** Where devsup logs; by default human lines (or JSON, per logFormat) on stderr. */
  logger?: Logger;
  /** @internal A services run's link to its orchestrator (createServices). */
  service?: ServiceLink;
}

/** Creates a supervisor from the same options as supervisor.config.ts. Nothing starts until start(). */
export function createSupervisor(config: Config, create: CreateOptions = {}): Supervisor {
  const deprecated: string[] = [];
  const options = normalize([{ source: 'createSupervisor', values: { ...config }, base: process.cwd() }], process.cwd(), (line) => deprecated.push(line));
  const logger = create.logger ?? createLogger({ format: options.logFormat, level: options.logLevel });
  for (const line of deprecated) logger.warn({ deprecated: true }, line);
  return new Supervisor(options, logger, create.service);
}
