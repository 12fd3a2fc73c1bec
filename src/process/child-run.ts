// One child process and what devsup learns about it: its messages, its cleanups, its process tree, how it ended.
// The supervisor decides what to do; a ChildRun only keeps the facts and carries out signals and the reap.
import { randomUUID } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';
import type { Options } from '../config/schema.js';
import type { Reaped, TeardownReport } from '../core/events.js';
import type { Exit } from '../core/state.js';
import { JsonLineChannel } from './channel.js';
import type { ChildMessage, CleanupResult, OpenResource, RunMessage, ShutdownMessage } from '../protocol/messages.js';
import { parseChildMessage } from '../protocol/parse.js';
import { Leftovers } from './reap.js';
import { descendantsOf, listProcesses, signalTree, type Proc } from './tree.js';
import type { HeldSockets } from './sockets.js';
import { channelFd, spawnChild } from './spawn.js';

export interface RunHandlers {
  /** A valid protocol message (its bookkeeping already done). */
  message(run: ChildRun, message: ChildMessage): void;
  /** Anything else on the channel: the app's own traffic, or garbage. */
  ignored(run: ChildRun, why: string): void;
  /** The app's end of the channel closed while the process went on (it called process.disconnect()). */
  disconnected(run: ChildRun): void;
  /** The process could not be started at all (a command that does not exist). */
  failed(run: ChildRun, error: NodeJS.ErrnoException): void;
  exited(run: ChildRun, exit: Exit): void;
}

const now = () => performance.now();
// How long, at most, the channel is read after the app exited (its end closes at once unless a grandchild holds it).
const CHANNEL_DRAIN_MS = 100;

export class ChildRun {
  /** Which run this is (0 for a standby not yet told to run). */
  runId: number;
  readonly pid: number | undefined;
  /** When the app's own code began: the spawn, or for a standby the moment it was told to run. */
  spawnedAt = now();
  readyAt: number | undefined;
  stopAskedAt: number | undefined;
  exit: Exit | undefined;
  /** The cleanups the app announced, in the order they will run. */
  plan: string[] = [];
  readonly cleanups: CleanupResult[] = [];
  /** The cleanup running now (they run one at a time), and since when. */
  cleaning: { name: string; since: number } | undefined;
  /** The app's latest report on its shutdown (stopping, a cleanup's start or end, shutdown-done), and when it came. */
  lastReport: { what: string; at: number } | undefined;
  openHandles: OpenResource[] = [];
  readonly killed: Reaped[] = [];
  /** Inherited by every process of this run (DEVSUP_RUN), to find the ones that leave the tree. */
  readonly token = randomUUID();
  /** How many loaded modules Node reported (an app run by node reports at least its entry). */
  modulesReported = 0;
  /** How many of them were new to the watcher (before ready). */
  modulesWatched = 0;
  readonly #channel: JsonLineChannel;
  /** The process has exited; its channel is being read to the end. */
  #exiting = false;
  /** The exit code the process said it exits with (the preload, under a debugger), and whether devsup then ended it. */
  #exitingCode: number | undefined;
  #endedHeld = false;
  /** Every descendant seen while the tree was intact, by pid. */
  readonly #seen = new Map<number, Proc>();
  #snapshot: Promise<void> = Promise.resolve();
  /** The snapshot that is queued and has not begun yet, if any. */
  #queued: Promise<void> | undefined;
  /** The app's own start time (Proc.start), from the first snapshot. */
  #startedSince: string | undefined;
  #leftovers: Leftovers | undefined;
  /** The app's stdout and stderr, when they are piped to devsup (stdio 'pipe'); null when inherited. */
  readonly output: { stdout: Readable | null; stderr: Readable | null };
  /** Set once the reap is over (nothing left, or given up on): the watch of the leftovers ends. */
  reaped = false;

  #handlers: RunHandlers;

  /** Spawns the app (or, given `command`, a standby that runs it later: see promote()). */
  constructor(runId: number, options: Options, env: Record<string, string>, handlers: RunHandlers, command?: { file: string; args: string[] }, sockets?: HeldSockets) {
    this.runId = runId;
    this.#handlers = handlers;
    const child = spawnChild(options, env, this.token, command, sockets);
    this.pid = child.pid;
    this.output = { stdout: child.stdout, stderr: child.stderr };
    this.#channel = new JsonLineChannel(child.stdio[channelFd(sockets)] as Duplex, {
      message: (raw) => {
        const parsed = parseChildMessage(raw);
        if (!parsed.ok) return this.#handlers.ignored(this, parsed.why);
        this.#note(parsed.message);
        this.#handlers.message(this, parsed.message);
      },
      invalid: (why) => this.#handlers.ignored(this, why),
      // An exiting process closes the channel a moment before its exit is reported: only a channel that closed
      // while the process lives on was closed on purpose.
      closed: () => setTimeout(() => this.exit === undefined && this.#handlers.disconnected(this), 250).unref(),
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.pid !== undefined || this.exit !== undefined) return;
      this.#handlers.failed(this, error);
    });
    child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.exit !== undefined || this.#exiting) return;
      this.#exiting = true;
      // What the app wrote just before it exited (its last cleanup reports, shutdown-done) may still be in the pipe:
      // Node reports the exit before its stdio is read to the end. Read it first; a grandchild that inherited the
      // channel must not keep devsup reading it, hence the bound.
      void this.#channel.drained(CHANNEL_DRAIN_MS).then(() => {
        if (this.exit !== undefined) return;
        // Ended by devsup while only its debugger held it: it exited with the code it said.
        this.exit = this.#endedHeld && this.#exitingCode !== undefined ? { code: this.#exitingCode, signal: null } : { code, signal };
        this.#channel.close();
        this.#handlers.exited(this, this.exit);
      });
    });
  }

  /** Marks a run that never started as ended (the caller reports why). */
  failedToStart(exit: Exit): void {
    this.exit ??= exit;
  }

  #note(message: ChildMessage): void {
    if (message.type === 'exiting') this.#exitingCode = message.code;
    if (message.type === 'stopping') this.lastReport = { what: 'shutting down', at: now() };
    if (message.type === 'shutdown-done') this.lastReport = { what: 'shutdown done', at: now() };
    if (message.type === 'cleanup') this.lastReport = { what: `cleanup "${message.name}" ${message.status}`, at: now() };
    if (message.type === 'stopping') this.plan = message.cleanups;
    if (message.type !== 'cleanup') return;
    if (message.status === 'started') {
      this.cleaning = { name: message.name, since: now() };
      return;
    }
    this.cleaning = undefined;
    const { name, status, ms, error } = message;
    this.cleanups.push(error === undefined ? { name, status, ms } : { name, status, ms, error });
  }

  get alive(): boolean {
    return this.exit === undefined && !this.#exiting && this.pid !== undefined;
  }

  /** The cleanup running at this moment (as far as the app reported), and for how long. */
  cleanupRunning(): { name: string; forMs: number } | undefined {
    return this.cleaning ? { name: this.cleaning.name, forMs: now() - this.cleaning.since } : undefined;
  }

  /** A standby becomes run `runId`, reported to `handlers`, and is told to run the app now. False if it cannot be told. */
  promote(runId: number, handlers: RunHandlers, message: RunMessage): boolean {
    this.runId = runId;
    this.#handlers = handlers;
    this.spawnedAt = now();
    return this.alive && this.#channel.send(message);
  }

  /** Sends over IPC; false when the channel is gone (the app closed it, or is exiting). */
  send(message: ShutdownMessage): boolean {
    return this.#channel.send(message);
  }

  /** Signals the app itself, or (tree) the app and all its descendants. */
  signal(signal: NodeJS.Signals, tree: boolean): void {
    if (!this.alive) return;
    if (tree) {
      void signalTree(this.pid!, signal);
      return;
    }
    try {
      process.kill(this.pid!, signal);
    } catch {
      // gone already: its exit event is on the way
    }
  }

  /** Ends a process whose code has exited and that only its debugger keeps (SIGKILL; its exit is the code it said). */
  endHeld(): void {
    if (this.#exitingCode === undefined || !this.alive) return;
    this.#endedHeld = true;
    this.signal('SIGKILL', false);
  }

  /**
   * Adds the app's current descendants to what this run has seen. Chained, so that a reap waits for all of them; and
   * coalesced: while one is queued and not yet begun, asking again joins it (it will look at the table after the
   * ask), so that however often it is asked, a rung waits for at most the scan under way and one more.
   */
  snapshot(): Promise<void> {
    if (this.#queued) return this.#queued;
    this.#queued = this.#snapshot = this.#snapshot.then(async () => {
      this.#queued = undefined;
      if (!this.alive) return;
      try {
        const procs = await listProcesses();
        this.#startedSince ??= procs.find((p) => p.pid === this.pid)?.start;
        for (const p of descendantsOf(this.pid!, procs)) this.#seen.set(p.pid, p);
      } catch {
        // the listing is best effort: a process table we cannot read leaves nothing to reap
      }
    });
    return this.#snapshot;
  }

  /** After the exit: what of this run's processes still runs (see reap.ts), looked for again at each call. */
  async leftovers(): Promise<number> {
    await this.#snapshot;
    this.#leftovers ??= new Leftovers(this.#seen.values(), this.token, this.#startedSince, this.killed);
    return (await this.#leftovers.scan()).length;
  }

  /** Signals what is left of this run (and, from now on, what each look finds); what had to be signalled is added to `killed`. */
  async signalLeftovers(signal: NodeJS.Signals): Promise<void> {
    await this.#snapshot;
    this.#leftovers ??= new Leftovers(this.#seen.values(), this.token, this.#startedSince, this.killed);
    await this.#leftovers.signal(signal);
  }

  report(): TeardownReport {
    return {
      runId: this.runId,
      exit: this.exit ?? { code: null, signal: null },
      asked: this.stopAskedAt !== undefined,
      teardownMs: this.stopAskedAt === undefined ? undefined : Math.round(now() - this.stopAskedAt),
      cleanups: this.cleanups,
      interrupted: this.cleaning?.name,
      openHandles: this.openHandles,
      killed: this.killed,
    };
  }
}
