// Self-write loops: an app that writes a watched file while it runs (a log, an upload, a SQLite journal) restarts
// itself, again and again. When the same file has ended several starts in a row, each time soon after the start,
// restarts are paused and the file is named. "Soon" counts from the moment the app is ready (a boot takes from 0.1 s
// to seconds on a busy machine): a change while it starts, or within `withinMs` after. Only files that are not the
// app's code count (the supervisor says which): a person saving the module they work on right after each restart is
// not a loop. Pure: the supervisor tells it about starts, readiness, stops and changes, with their times.
import type { LoopVerdict } from '../core/state.js';

export type { LoopVerdict };

export class LoopGuard {
  readonly restarts: number;
  readonly withinMs: number;
  /** When the current child became ready; undefined while it starts. */
  #readyAt: number | undefined = Number.NEGATIVE_INFINITY;
  /** The file that ended the last starts soon after they began, and how many in a row. */
  #streak: { path: string; count: number } | undefined;
  #paused: string | undefined;

  /** Pauses when more than `restarts` starts in a row end soon after the start by a change to the same file. */
  constructor(restarts = 3, withinMs = 1000) {
    this.restarts = restarts;
    this.withinMs = withinMs;
  }

  get paused(): string | undefined {
    return this.#paused;
  }

  /** Whether the app runs or starts: only then can a change be the app writing a file (judged, not just passed on). */
  #active = true;

  /** A child was started: until it is ready, every change comes "soon after the start". */
  started(): void {
    this.#readyAt = undefined;
    this.#active = true;
  }

  /** The app is being stopped (or has ended): changes restart it, and count for nothing here. */
  stopped(): void {
    this.#active = false;
  }

  /** The child is ready (or counts as ready) at `at` (ms, any monotonic clock); "soon" is within `withinMs` of it. */
  ready(at: number): void {
    this.#readyAt = at;
  }

  /**
   * Files changed at `at` while the app runs or starts: should it restart? `written` are those of them the app
   * might write itself (not its code).
   */
  changed(paths: readonly string[], at: number, written: readonly string[] = paths): LoopVerdict {
    if (!this.#active) return { kind: 'restart' };
    if (this.#paused !== undefined) {
      if (paths.every((p) => p === this.#paused)) return { kind: 'held' };
      this.resume(); // a change elsewhere: a person is editing
      return { kind: 'restart' };
    }
    const soon = this.#readyAt === undefined || at - this.#readyAt <= this.withinMs;
    if (!soon || written.length === 0) {
      this.#streak = undefined;
      return { kind: 'restart' };
    }
    const same = this.#streak && written.includes(this.#streak.path) ? this.#streak : undefined;
    this.#streak = same ? { path: same.path, count: same.count + 1 } : { path: written[0]!, count: 1 };
    if (this.#streak.count <= this.restarts) return { kind: 'restart' };
    this.#paused = this.#streak.path;
    return { kind: 'paused', path: this.#paused, restarts: this.restarts };
  }

  /** `rs`, or a change elsewhere: restarts go on, and counting starts over. */
  resume(): void {
    this.#paused = undefined;
    this.#streak = undefined;
  }
}
