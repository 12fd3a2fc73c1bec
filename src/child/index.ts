// devsup/child: what an app imports to take part in graceful restarts. No dependencies beyond Node's own modules, so
// importing it costs about 2 ms; built as ESM and as CommonJS, both sharing one registry (see below). Under devsup it
// speaks the IPC protocol (docs/PROTOCOL.md); without devsup (production) SIGTERM and SIGINT run the same cleanups.
import { AsyncResource } from 'node:async_hooks';
import type { ChildMessage, CleanupResult } from '../protocol/messages.js';

export type CleanupFn = () => void | Promise<void>;
export type Cleanup = CleanupFn | AsyncDisposable | Disposable;
export interface CleanupOptions {
  /** Give up on this cleanup after this many milliseconds, record it as timed out, and go on with the next. */
  timeoutMs?: number;
}

interface Entry {
  name: string;
  run: () => unknown;
  timeoutMs: number | undefined;
}

type Trigger = 'ipc' | 'SIGINT' | 'SIGTERM' | 'disconnect';

const SDK_VERSION = '0.1.0';

// One registry per process, even if two copies of this module get loaded (ESM and CJS builds, two versions in
// node_modules): otherwise cleanups registered through one copy would never run.
interface Registry {
  entries: Entry[];
  done: Promise<never> | undefined;
  readySent: boolean;
  supervised: boolean;
  stopTimeoutMs: number;
  supervisorPid: number;
  /** When the shutdown under way must be over (performance.now()): its deadline, moved by extendDeadline. */
  deadlineAt?: number;
}
const KEY = Symbol.for('devsup.child.registry');
const holder = globalThis as { [KEY]?: Registry };
const registry: Registry = holder[KEY] ?? install();

function install(): Registry {
  // devsup sets DEVSUP_IPC=1; we delete it so that processes the app forks do not take its IPC channel for ours.
  const supervised = process.env.DEVSUP_IPC === '1' && typeof process.send === 'function';
  const stopTimeoutMs = Number(process.env.DEVSUP_STOP_TIMEOUT) || 5000;
  const supervisorPid = Number(process.env.DEVSUP_PID) || process.ppid;
  const parentAtStart = process.ppid;
  delete process.env.DEVSUP_IPC;
  // A services run stops its apps in dependency order (DEVSUP_ORDERED=1): a terminal's Ctrl-C, which reaches every
  // app at once, is left to devsup's request to each in turn (a second Ctrl-C still means now).
  const ordered = supervised && process.env.DEVSUP_ORDERED === '1';
  delete process.env.DEVSUP_ORDERED;
  delete process.env.DEVSUP_STOP_TIMEOUT;
  delete process.env.DEVSUP_READY_TIMEOUT;
  delete process.env.DEVSUP_PID;
  const state: Registry = { entries: [], done: undefined, readySent: false, supervised, stopTimeoutMs, supervisorPid };
  holder[KEY] = state;

  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A second signal while the cleanups run means "now" (the convention of close-with-grace and node), and so
      // does devsup's SIGTERM after its own request to stop (the deadline passed). But a terminal's Ctrl-C reaches
      // the app and devsup at once, and devsup's request may be read first: that SIGINT is the same Ctrl-C, not a
      // second one, and must not cut the cleanups short.
      const forced = signalled || (state.done !== undefined && signal !== 'SIGINT');
      const waits = ordered && signal === 'SIGINT' && !signalled && state.done === undefined;
      signalled = true;
      if (waits) return;
      if (forced) process.exit(signal === 'SIGINT' ? 130 : 143);
      begin(signal);
    });
  }
  if (supervised) {
    process.on('message', (message: unknown) => {
      const m = message as { devsup?: unknown; type?: unknown; deadlineMs?: unknown } | null;
      if (m && m.devsup === 1 && m.type === 'shutdown') begin('ipc', finiteMs(m.deadlineMs) ?? state.stopTimeoutMs);
    });
    // The supervisor went away (killed, crashed): never stay behind holding a port. But the channel also closes
    // when the app calls process.disconnect() itself: only a supervisor that is gone means "stop".
    process.on('disconnect', () => {
      // Loaded only now: a second module would double what importing devsup/child costs an app (~2 ms each).
      void import('./liveness.js').then(({ supervisorGone }) => {
        // Looked at even when a shutdown is under way: devsup may have died in the middle of it.
        let looks = 0;
        const look = setInterval(() => {
          const gone = supervisorGone(state.supervisorPid, parentAtStart);
          if (gone || ++looks >= 25) clearInterval(look);
          if (gone) orphaned();
        }, 20);
      });
    });
    // Our listeners must not keep an app alive that would otherwise exit on its own.
    process.channel?.unref();
    send({ devsup: 1, type: 'hello', sdk: SDK_VERSION, pid: process.pid }, undefined, state);
  }
  return state;
}

function send(message: ChildMessage, then?: () => void, state: Registry = registry): void {
  if (!state.supervised || !process.connected || !process.send) return then?.();
  try {
    process.send(message, undefined, {}, () => then?.());
  } catch {
    then?.();
  }
}

/**
 * Registers a cleanup to run on shutdown (restart under devsup, SIGTERM/SIGINT without it). Cleanups run one at a
 * time, last registered first, each awaited. Returns a function that unregisters it.
 */
export function onShutdown(name: string, cleanup: Cleanup, options: CleanupOptions = {}): () => void {
  if (typeof name !== 'string' || name === '') throw new TypeError('onShutdown(name, fn): name must be a non-empty string');
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && Number.isFinite(timeoutMs))) {
    throw new TypeError(`onShutdown("${name}"): timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
  }
  const entry: Entry = { name, run: AsyncResource.bind(toFunction(name, cleanup)), timeoutMs };
  registry.entries.push(entry);
  return () => {
    const at = registry.entries.indexOf(entry);
    if (at !== -1) registry.entries.splice(at, 1);
  };
}

function toFunction(name: string, cleanup: Cleanup): () => unknown {
  if (typeof cleanup === 'function') return cleanup;
  if (cleanup && typeof (cleanup as AsyncDisposable)[Symbol.asyncDispose] === 'function') {
    return () => (cleanup as AsyncDisposable)[Symbol.asyncDispose]();
  }
  if (cleanup && typeof (cleanup as Disposable)[Symbol.dispose] === 'function') {
    return () => (cleanup as Disposable)[Symbol.dispose]();
  }
  throw new TypeError(`onShutdown("${name}", fn): fn must be a function or an object with [Symbol.asyncDispose]()`);
}

/** Tells devsup that the app is serving. Optional: without it the start counts as ready after devsup's readyTimeout. */
export function ready(): void {
  if (registry.readySent) return;
  registry.readySent = true;
  send({ devsup: 1, type: 'ready' });
}

/**
 * Asks devsup for `ms` more milliseconds to finish shutting down, counted from now (like systemd's
 * EXTEND_TIMEOUT_USEC): for a migration or a long request that must finish. devsup grants it up to its
 * maxStopTimeout. Returns false when there is nothing to ask (no shutdown under way, or no supervisor).
 */
export function extendDeadline(ms: number): boolean {
  if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms))) {
    throw new TypeError(`extendDeadline(ms): ms must be a non-negative number, got ${String(ms)}`);
  }
  if (!registry.done || !registry.supervised || !process.connected) return false;
  send({ devsup: 1, type: 'extend', ms: Math.round(ms) });
  // Should devsup die now, the process still has the time it asked for (as devsup_child.py does).
  registry.deadlineAt = Math.max(registry.deadlineAt ?? 0, performance.now() + ms);
  return true;
}

/** True once a shutdown has begun (from devsup, a signal, or the supervisor going away). */
export function isShuttingDown(): boolean {
  return registry.done !== undefined;
}

/** `deadlineMs`: the one devsup's shutdown message carried, else the stop timeout. */
function begin(_trigger: Trigger, deadlineMs = registry.stopTimeoutMs): void {
  // Exactly once per process, however many triggers arrive (IPC, SIGINT from the terminal, SIGTERM, disconnect).
  if (registry.done) return;
  registry.deadlineAt = performance.now() + deadlineMs;
  registry.done = shutdown();
}

// The supervisor is gone, so nobody will escalate for us: wherever the shutdown is (not begun yet, in a cleanup that
// hangs, reporting), the process ends when what is left of its deadline runs out.
function orphaned(): void {
  begin('disconnect');
  const left = (registry.deadlineAt ?? performance.now()) - performance.now();
  setTimeout(() => process.exit(1), Math.max(0, left)).unref();
}

async function shutdown(): Promise<never> {
  // Keep the event loop alive while cleanups run, so that a cleanup waiting on nothing still gets its deadline.
  const keepAlive = setInterval(() => {}, 1 << 30);
  send({ devsup: 1, type: 'stopping', cleanups: registry.entries.map((e) => e.name).reverse() });
  const results = await runCleanups();
  const failed = results.some((r) => r.status !== 'done');
  // Loaded only now, like liveness.js, and before the keep-alive goes: the audit is for devsup's report. It runs a
  // turn of the event loop later, when the loader's own read of the file is over (else reported as a "CloseReq").
  const audit = registry.supervised ? await import('./audit.js') : undefined;
  if (audit) await new Promise((resolve) => setImmediate(resolve));
  clearInterval(keepAlive);
  if (audit) await audit.settle();
  const openHandles = audit ? audit.openResources() : [];
  return new Promise<never>(() => {
    send({ devsup: 1, type: 'shutdown-done', results, openHandles }, () => process.exit(failed ? 1 : 0));
  });
}

async function runCleanups(): Promise<CleanupResult[]> {
  const results: CleanupResult[] = [];
  // pop(): last registered first, and a cleanup registered while others run is not lost.
  for (let entry = registry.entries.pop(); entry; entry = registry.entries.pop()) {
    send({ devsup: 1, type: 'cleanup', name: entry.name, status: 'started', ms: 0 });
    const result = await runOne(entry);
    send({ devsup: 1, type: 'cleanup', ...result });
    // Without a supervisor to report to, a failure still must not vanish.
    if (!registry.supervised && result.status !== 'done') {
      process.stderr.write(`[devsup/child] cleanup "${result.name}" ${result.status} after ${result.ms} ms${result.error ? `: ${result.error}` : ''}\n`);
    }
    results.push(result);
  }
  return results;
}

const TIMED_OUT = Symbol('timed out');

async function runOne(entry: Entry): Promise<CleanupResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const work = Promise.resolve().then(entry.run);
    const outcome =
      entry.timeoutMs === undefined
        ? await work
        : await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, entry.timeoutMs, TIMED_OUT)))]);
    if (outcome === TIMED_OUT) return { name: entry.name, status: 'timed-out', ms: elapsed() };
    return { name: entry.name, status: 'done', ms: elapsed() };
  } catch (error) {
    return { name: entry.name, status: 'failed', ms: elapsed(), error: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

function finiteMs(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
