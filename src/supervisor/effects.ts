// The effect interpreter: performs what the machine decided — spawn, ask over IPC, signal, arm and clear timers,
// reap what is left of a run, say what happened, finish — and reports back what comes of it as events.
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Options } from '../config/schema.js';
import { DevsupError } from '../core/errors.js';
import type { SupervisorEvents } from '../core/events.js';
import type { Effect, Event, Timer } from '../core/state.js';
import { ChildRun, type RunHandlers } from '../process/child-run.js';
import type { HeldSockets } from '../process/sockets.js';
import { describeApp, readEnvFile } from '../process/spawn.js';
import { runMessage } from '../process/standby.js';
import { shutdownMessage } from '../protocol/messages.js';
import { LoopGuard } from '../watch/loop-guard.js';
import type { Watcher } from '../watch/watcher.js';
import { beforeStart } from './build.js';
import { Freshness } from './freshness.js';
import type { Logger } from './logger.js';
import { formatReaped } from './narrator.js';
import { narrate, type Narrated, type Restarting } from './notices.js';
import { Progress } from './progress.js';
import { StandbyKeeper } from './standby-keeper.js';
import { Timers } from './timers.js';

// How often the reap looks again at what is left of a run.
const REAP_POLL_MS = 20;
// The most modules one run's reports are taken in from: a real app's own files are far fewer, and an app that
// reports 400,000 must not grow devsup (RSS 95 → 293 MB) nor delay its restarts. Said once a run.
export const MAX_MODULES_PER_RUN = 10_000;

export interface ShellOptions {
  options: Options;
  log: Logger;
  emitter: EventEmitter<SupervisorEvents>;
  dispatch: (event: Event) => void;
  /** Where each run reports its messages and its end. */
  handlers: RunHandlers;
  /** Resolves (or, with an error, rejects) whoever waits for the next ready. */
  settleReady: (error?: Error) => void;
  closed: (exitCode: number) => void;
  /** Awaited before each start, ahead of the build step: a services run waits there for the services this one needs. */
  beforeStart?: () => Promise<void>;
  /** stdio 'pipe': where each run's stdout and stderr go (the supervisor's streams). */
  output?: { stdout: Writable; stderr: Writable };
  /** Each start waits for a debugger (the policy's awaitsDebugger): its start line says so. */
  waitsForDebugger?: boolean;
}

// The timer a 'disarm' leaves: it watches the exiting process, whatever the state does (see Effect 'disarm').
const SURVIVES_DISARM = ['debugger'] as const satisfies readonly Timer[];

export class Shell implements Narrated {
  readonly options: Options;
  readonly log: Logger;
  readonly emitter: EventEmitter<SupervisorEvents>;
  readonly dispatch: (event: Event) => void;
  readonly settleReady: (error?: Error) => void;
  readonly #handlers: RunHandlers;
  /** The next app's process, booted ahead (see process/standby.ts). */
  readonly #standbys: StandbyKeeper;
  readonly #closed: ShellOptions['closed'];
  readonly #before: ShellOptions['beforeStart'];
  readonly #output: ShellOptions['output'];
  /** Ends the build step under way, if any (devsup closes). */
  #building: AbortController | undefined;
  readonly timers = new Timers();
  readonly #waitsForDebugger: boolean;
  /** Which arming of each timer is the current one (see 'arm'). */
  #armed: Partial<Record<Timer, number>> = {};
  readonly progress: Progress;
  readonly freshness: Freshness;
  readonly loops = new LoopGuard();
  run: ChildRun | undefined;
  watcher: Watcher | undefined;
  /** The listening sockets devsup holds for the app (--socket), bound before the first start. */
  sockets: HeldSockets | undefined;
  /** Files the app reported loading before the watcher was up (it is loaded after the first spawn). */
  readonly loadedEarly: string[][] = [];
  /** Paths changed since the latest spawn: those a starting app may already have. */
  readonly changedSinceSpawn = new Set<string>();
  restarting: Restarting | undefined;
  noGraphSaid = false;

  constructor(options: ShellOptions) {
    this.options = options.options;
    this.log = options.log;
    this.emitter = options.emitter;
    this.dispatch = options.dispatch;
    this.settleReady = options.settleReady;
    this.#handlers = options.handlers;
    this.#closed = options.closed;
    this.#before = options.beforeStart;
    this.#output = options.output;
    this.progress = new Progress(this.log);
    this.#standbys = new StandbyKeeper(this.options, this.log);
    this.#waitsForDebugger = options.waitsForDebugger ?? false;
    this.freshness = new Freshness(this.options.cwd);
    this.emitter.on('built', ({ ms }) => this.restarting && (this.restarting.buildMs = (this.restarting.buildMs ?? 0) + ms));
  }

  current(runId: number): ChildRun | undefined {
    return this.run?.runId === runId ? this.run : undefined;
  }

  /** The changes since the spawn that this run already has (it loaded them after they were made). */
  inApp(run: ChildRun): string[] {
    if (this.run !== run) return [];
    return [...this.changedSinceSpawn].filter((p) => this.freshness.inApp(p));
  }

  /** Node reported modules the app loaded: they join what is watched (the module graph only grows). */
  loaded(run: ChildRun, files: string[], ctimes: Readonly<Record<string, number>>): void {
    if (this.run !== run) return;
    if (run.modulesReported >= MAX_MODULES_PER_RUN) return;
    if (run.modulesReported + files.length >= MAX_MODULES_PER_RUN) {
      files = files.slice(0, MAX_MODULES_PER_RUN - run.modulesReported);
      this.log.warn({ runId: run.runId }, `the app reported more than ${MAX_MODULES_PER_RUN} modules: the rest are not watched this run`);
    }
    run.modulesReported += files.length;
    for (const file of files) {
      const ctime = ctimes[file];
      if (ctime !== undefined) this.freshness.loaded(resolve(file), ctime);
    }
    if (!this.watcher) {
      this.loadedEarly.push(files);
      return;
    }
    const added = this.watcher.addLoaded(files);
    // Said once at ready for the start, then for each late (dynamic) import.
    if (run.readyAt === undefined) run.modulesWatched += added;
    else if (added > 0) this.log.debug({ runId: run.runId, files }, `watching ${added} more file${added > 1 ? 's' : ''} the app loaded`);
  }

  perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        if (this.restarting && effect.trigger) this.restarting.trigger = effect.trigger; // with every change merged in
        return this.#spawn(effect.runId);
      case 'prepare':
        return this.#standbys.prepare(this.#envFromFile(), this.sockets, (run) => this.#pipe(run)); // read from its spawn: an unread pipe hides its end
      case 'build':
        this.#building = new AbortController();
        return void beforeStart(this, effect.runId, this.#building.signal, this.#before);
      case 'send-shutdown': {
        const run = this.current(effect.runId);
        if (!run) return;
        this.#stopRequested(run, effect.reason);
        const message = shutdownMessage(effect.reason, this.options.stopTimeout, effect.changed);
        // Record the tree first: once the app exits, its orphans can no longer be found by walking from it.
        void run.snapshot().then(() => {
          if (!run.alive) return;
          if (run.send(message)) return this.log.debug({ runId: run.runId }, `asked the app to shut down (${effect.reason})`);
          this.log.debug({ runId: run.runId }, `IPC channel closed; sending ${this.options.signal}`);
          run.signal(this.options.signal, false);
        });
        return;
      }
      case 'signal': {
        const run = this.current(effect.runId);
        if (!run) return;
        this.#stopRequested(run, 'signal');
        const signal = effect.signal === 'stop' ? this.options.signal : effect.signal;
        void run.snapshot().then(() => run.signal(signal, effect.tree));
        return;
      }
      case 'arm': {
        const { runId, timer, duration } = effect;
        const event: () => Event =
          timer === 'ready' ? () => ({ type: 'ready-timeout', runId, inApp: this.run ? this.inApp(this.run) : [] })
          : timer === 'escalate' ? () => ({ type: 'escalate', runId })
          : () => ({ type: timer, runId });
        const ms =
          typeof duration === 'object' ? duration.ms : duration === 'deadline' ? this.timers.deadlineLeft() : this.options[duration];
        // A timer fires before the I/O that is waiting is read (after devsup was stopped, SIGSTOP/SIGCONT, or starved):
        // its event goes in after one turn of the loop, so that the machine and the log judge from the app's latest
        // reports (a cleanup that finished meanwhile, the exit), and not at all if that turn disarmed or re-armed it.
        const armed = (this.#armed[timer] = (this.#armed[timer] ?? 0) + 1);
        const fire = () => setImmediate(() => this.#armed[timer] === armed && this.dispatch(event()));
        this.timers.arm(timer, ms, fire, timer === 'escalate' && duration !== 'deadline');
        return;
      }
      case 'disarm':
        this.#armed = Object.fromEntries(SURVIVES_DISARM.map((timer) => [timer, this.#armed[timer]]));
        return this.timers.disarm(SURVIVES_DISARM);
      case 'reap': {
        const run = this.current(effect.runId);
        if (run) void this.#reap(run);
        return;
      }
      case 'signal-leftovers': {
        const run = this.current(effect.runId);
        if (run) void run.signalLeftovers(effect.signal);
        return;
      }
      case 'end':
        return this.current(effect.runId)?.endHeld();
      case 'notify':
        return narrate(this, effect.notice);
      case 'finish':
        return this.#finish(effect.exitCode);
    }
  }

  #spawn(runId: number): void {
    this.freshness.spawned();
    this.changedSinceSpawn.clear();
    const standby = this.#standbys.take();
    const run =
      standby && standby.promote(runId, this.#handlers, runMessage(this.options)) ? standby
      : new ChildRun(runId, this.options, this.#envFromFile(), this.#handlers, undefined, this.sockets);
    if (standby && run !== standby) this.#standbys.discard(standby, 'it could not be told to run');
    this.run = run;
    if (run !== standby) this.#pipe(run);
    this.loops.started();
    // Under --inspect-brk (or --inspect-wait) every start waits for a debugger: each says so.
    const waits = this.#waitsForDebugger ? ' — waiting for a debugger to attach' : '';
    const line = `started ${describeApp(this.options)} (pid ${run.pid ?? '?'}${run === standby ? ', from the standby' : ''})${waits}`;
    if (runId === 1 || waits) this.log.info({ runId, pid: run.pid }, line);
    else this.log.debug({ runId, pid: run.pid }, line);
    this.emitter.emit('started', { runId, pid: run.pid });
  }

  #pipe(run: ChildRun): void {
    if (this.#output) for (const fd of ['stdout', 'stderr'] as const) run.output[fd]?.pipe(this.#output[fd], { end: false });
  }

  // Read before every start, so that an edit to .env applies on the next restart.
  #envFromFile(): Record<string, string> {
    if (!this.options.envFile) return {};
    try {
      return readEnvFile(this.options.envFile);
    } catch (error) {
      this.log.warn({ err: error }, `could not read ${this.options.envFile}: ${(error as Error).message} (starting without it)`);
      return {};
    }
  }

  // The first request to stop a child: remember when (teardown time counts from here), tell listeners, and start
  // the live progress line for cleanups that take a while.
  #stopRequested(run: ChildRun, reason: 'restart' | 'exit' | 'manual' | 'signal'): void {
    if (run.stopAskedAt !== undefined) return;
    run.stopAskedAt = performance.now();
    this.loops.stopped();
    this.emitter.emit('stopRequested', { runId: run.runId, reason });
    this.progress.begin(run, () => this.run);
  }

  // Watches what is left of the run until a look finds nothing; the machine's timers decide when to signal it and
  // when to give up on it (run.reaped then ends this watch).
  async #reap(run: ChildRun): Promise<void> {
    this.progress.end();
    while (!run.reaped && (await run.leftovers()) > 0) await sleep(REAP_POLL_MS);
    if (run.reaped) return;
    this.reaped(run);
    this.dispatch({ type: 'reaped', runId: run.runId });
  }

  /** The reap of `run` is over: what had to be killed is said, and the teardown reported. */
  reaped(run: ChildRun): void {
    run.reaped = true;
    if (run.killed.length > 0) {
      const n = run.killed.length;
      this.log.warn({ runId: run.runId, killed: run.killed }, `killed ${n} leftover process${n > 1 ? 'es' : ''} of the old app: ${formatReaped(run.killed)}`);
    }
    const report = run.report();
    if (this.restarting && report.asked) {
      this.restarting.teardownMs = report.teardownMs;
      this.restarting.cleanups = report.cleanups;
    }
    if (report.openHandles.length > 0 || report.killed.length > 0) {
      this.emitter.emit('leaked', { runId: run.runId, openHandles: report.openHandles, killed: report.killed });
    }
    this.emitter.emit('exited', report);
    if (!report.asked && report.exit.code !== 0) this.emitter.emit('crashed', report);
  }

  #finish(exitCode: number): void {
    this.#building?.abort();
    this.#standbys.kill();
    this.timers.disarm();
    this.progress.end();
    if (this.run) this.run.reaped = true;
    this.settleReady(new DevsupError('CLOSED', 'the supervisor was closed', { exitCode }));
    // The held sockets close with devsup: what waits in their backlog is refused from now on.
    void Promise.all([this.watcher?.close(), this.sockets?.close()]).then(() => {
      this.emitter.emit('closed', { exitCode });
      this.#closed(exitCode);
    });
  }
}
