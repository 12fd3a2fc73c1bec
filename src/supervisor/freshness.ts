// Freshness: which version of each file the running app has. The one place that answers "is this change already in
// the app?", for the watcher (late events, a file the app generated and then imported) and for the supervisor (the
// changes a starting app is to restart for once ready).
import { resolve } from 'node:path';

// ctime runs on the kernel's coarse clock, a few ms behind the wall clock a spawn is timed with.
const COARSE_CLOCK_MS = 10;

export class Freshness {
  readonly #root: string;
  /** The latest run: when it was spawned (wall clock) and, for each file it loaded, the ctime it loaded. */
  #run: { spawnedAt: number; loaded: Map<string, number> } | undefined;
  /** The ctime of the latest change seen to each file (absolute path); a deleted file has none. */
  readonly #changed = new Map<string, number>();

  constructor(root: string) {
    this.#root = root;
  }

  /** A new run was spawned now: it has every file as it is at this moment, and loads what it loads from here on. */
  spawned(at: number = Date.now()): void {
    this.#run = { spawnedAt: at, loaded: new Map() };
  }

  /** The run reported loading this file (absolute path) at this ctime; the first report of a file counts. */
  loaded(file: string, ctimeMs: number): void {
    const path = resolve(file);
    if (this.#run && !this.#run.loaded.has(path)) this.#run.loaded.set(path, ctimeMs);
  }

  /** The watcher saw this file change, with this ctime (undefined: it was deleted). */
  changed(file: string, ctimeMs: number | undefined): void {
    const path = resolve(this.#root, file);
    if (ctimeMs === undefined) this.#changed.delete(path);
    else this.#changed.set(path, Math.max(ctimeMs, this.#changed.get(path) ?? ctimeMs));
  }

  /**
   * Whether the latest run has this version of the file (absolute, or relative to the root): the one with this ctime,
   * or, without one, the latest change seen. A file the run loaded: if the ctime is the one it loaded, or older (a
   * file the app generates, then imports, is in it; a save after the app read it is not). Any other file: if it
   * changed clearly before the spawn.
   */
  inApp(file: string, ctimeMs?: number): boolean {
    const run = this.#run;
    if (!run) return false;
    const path = resolve(this.#root, file);
    const at = ctimeMs ?? this.#changed.get(path);
    if (at === undefined) return false;
    const loaded = run.loaded.get(path);
    return loaded === undefined ? at < run.spawnedAt - COARSE_CLOCK_MS : at <= loaded;
  }
}
