// The quiet period: turns a stream of changed paths into `changed(paths)` at once and `settled()` once no change came
// for a while, so that a burst of writes is one restart.

// The quiet period grows with the burst. One change of one file is a save: it is over in a millisecond or two (an
// editor's atomic or backup-then-write save included; a second write inside chokidar's 50 ms window is found by
// lookAgain). More than one change — several files, or one file written again — is a tool writing one after another
// (tsc -w, a formatter, a save-all, a script), which may pause between writes: at least SEVERAL_FILES_QUIET_MS. Over MASS_CHANGE_FILES (a checkout, a code generator), whose writer a busy machine
// can stall: at least MASS_CHANGE_QUIET_MS.
const SEVERAL_FILES_QUIET_MS = 75;
const MASS_CHANGE_FILES = 50;
const MASS_CHANGE_QUIET_MS = 500;

interface Clock {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  now: () => number;
}
const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

/**
 * Turns a stream of changed paths into `changed(paths)` at once (grouped per turn of the event loop, in order,
 * without duplicates) and `settled()` once `quietMs` pass without a new one. The supervisor starts tearing down on
 * the first change and starts the next child only once settled, so a burst costs one restart and a single save
 * waits only for whatever of the quiet period the teardown has not already covered. A stream that never goes
 * quiet (an app writing a file every few ms) still settles every `maxWaitMs`.
 */
export class ChangeFeed {
  #batch = new Set<string>();
  #flushTimer: unknown;
  #quietTimer: unknown;
  #episodeStart: number | undefined;
  /** The files changed since the last settle, and how many changes were seen (a file written again counts twice). */
  readonly #episodePaths = new Set<string>();
  #episodeWrites = 0;
  readonly #onChange: (paths: string[]) => void;
  readonly #onSettled: (paths: string[]) => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;
  /**
   * Asked when the quiet period ends: whether any of these files changed again unseen (the watcher looks at them).
   * If so it has added them, and the burst goes on; a short quiet period then cannot cut a save in two.
   */
  lookAgain: ((paths: string[]) => boolean) | undefined;

  constructor(
    onChange: (paths: string[]) => void,
    onSettled: (paths: string[]) => void,
    quietMs: number,
    maxWaitMs = Math.max(5000, quietMs * 10),
    clock = systemClock,
  ) {
    this.#onChange = onChange;
    this.#onSettled = onSettled;
    this.#quietMs = quietMs;
    this.#maxWaitMs = maxWaitMs;
    this.#clock = clock;
  }

  add(path: string): void {
    const now = this.#clock.now();
    this.#episodeStart ??= now;
    this.#episodePaths.add(path);
    this.#batch.add(path);
    this.#flushTimer ??= this.#clock.setTimeout(() => this.#flush(), 0);
    this.#clock.clearTimeout(this.#quietTimer);
    this.#episodeWrites += 1;
    const files = this.#episodePaths.size;
    const floor = files > MASS_CHANGE_FILES ? MASS_CHANGE_QUIET_MS : this.#episodeWrites > 1 ? SEVERAL_FILES_QUIET_MS : 0;
    const quiet = Math.max(this.#quietMs, floor);
    const wait = Math.min(quiet, Math.max(0, this.#episodeStart + this.#maxWaitMs - now));
    this.#quietTimer = this.#clock.setTimeout(() => this.#settle(), wait);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    const paths = [...this.#batch];
    this.#batch.clear();
    if (paths.length > 0) this.#onChange(paths);
  }

  #settle(): void {
    this.#quietTimer = undefined;
    const bounded = this.#episodeStart !== undefined && this.#clock.now() - this.#episodeStart >= this.#maxWaitMs;
    if (!bounded && this.#episodePaths.size <= MASS_CHANGE_FILES && this.lookAgain?.([...this.#episodePaths])) return;
    this.#episodeStart = undefined;
    const paths = [...this.#episodePaths];
    this.#episodePaths.clear();
    this.#episodeWrites = 0;
    if (this.#flushTimer !== undefined) {
      this.#clock.clearTimeout(this.#flushTimer);
      this.#flush();
    }
    this.#onSettled(paths);
  }

  cancel(): void {
    this.#clock.clearTimeout(this.#flushTimer);
    this.#clock.clearTimeout(this.#quietTimer);
    this.#flushTimer = undefined;
    this.#quietTimer = undefined;
    this.#batch.clear();
    this.#episodePaths.clear();
    this.#episodeWrites = 0;
  }
}
