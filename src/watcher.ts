// Watches the project (chokidar), drops what never matters (node_modules, .git, build output, editor droppings),
// reports changes at once and says when they have settled (a quiet period), so a burst makes one restart.
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { watch, type FSWatcher } from 'chokidar';
import { GitIgnores } from './gitignore.js';

/** Folders never worth a restart; pruned from the walk, so no watch is spent on them. */
export const IGNORED_DIRS = [
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'coverage', '.nyc_output',
  '.next', '.nuxt', '.svelte-kit', '.turbo', '.cache', '.parcel-cache', '.vite',
];
// Editors' and tools' swap, backup and atomic-save files (vim, emacs, JetBrains, macOS, `sed -i`, `*.tmp`), and logs
// an app writes about itself.
const IGNORED_FILES = [
  /\.sw[a-px]$/, /~$/, /^\.#/, /^#.*#$/, /^4913$/, /^\.DS_Store$/, /___jb_(tmp|old)___$/, /^sed[A-Za-z0-9]{6}$/, /\.tmp$/i,
  /\.log$/,
];

/**
 * Whether a path (relative to the project root, with '/' separators) is ignored. `extra` entries are globs
 * (picomatch): one without a slash matches any path segment (`tmp`, `*.sqlite`), one with a slash matches the
 * relative path and everything below it (`data/uploads`, `fixtures/*.json`).
 */
export function createIgnore(extra: readonly string[]): (relativePath: string) => boolean {
  const names = new Set(IGNORED_DIRS);
  const segmentMatchers = IGNORED_FILES.map((re) => (segment: string) => re.test(segment));
  const pathMatchers: ((path: string) => boolean)[] = [];
  for (const entry of extra) {
    const clean = entry.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean === '') continue;
    if (clean.includes('/')) pathMatchers.push(picomatch([clean, `${clean}/**`], { dot: true }));
    else segmentMatchers.push(picomatch(clean, { dot: true }));
  }
  return (relativePath) => {
    const segments = relativePath.split('/').filter((s) => s !== '..' && s !== '');
    if (segments.some((s) => names.has(s) || segmentMatchers.some((m) => m(s)))) return true;
    return pathMatchers.some((m) => m(relativePath));
  };
}

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
  readonly #onChange: (paths: string[]) => void;
  readonly #onSettled: () => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;

  constructor(
    onChange: (paths: string[]) => void,
    onSettled: () => void,
    quietMs: number,
    maxWaitMs = Math.max(1000, quietMs * 10),
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
    this.#batch.add(path);
    this.#flushTimer ??= this.#clock.setTimeout(() => this.#flush(), 0);
    this.#clock.clearTimeout(this.#quietTimer);
    const wait = Math.min(this.#quietMs, Math.max(0, this.#episodeStart + this.#maxWaitMs - now));
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
    this.#episodeStart = undefined;
    if (this.#flushTimer !== undefined) {
      this.#clock.clearTimeout(this.#flushTimer);
      this.#flush();
    }
    this.#onSettled();
  }

  cancel(): void {
    this.#clock.clearTimeout(this.#flushTimer);
    this.#clock.clearTimeout(this.#quietTimer);
    this.#flushTimer = undefined;
    this.#quietTimer = undefined;
    this.#batch.clear();
  }
}

export interface WatcherOptions {
  root: string;
  paths: readonly string[];
  ignore: readonly string[];
  /** Only files with these extensions (no dot) count; empty: all. */
  ext: readonly string[];
  debounce: number;
  /** Poll every this many ms instead of relying on file system events. */
  poll: number | false;
  onChange: (paths: string[]) => void;
  onSettled: () => void;
  /**
   * Whether a change made at this time (a file's ctime, ms since the epoch) is already in the running app. Late
   * events (a busy machine, or our re-check) for writes the current app loaded must not restart it again.
   */
  alreadyLoaded?: (changedAtMs: number) => boolean;
  onError: (error: NodeJS.ErrnoException) => void;
}

export interface Watcher {
  /** Resolves once the initial walk is done and every watch is in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

// chokidar drops a file's change events for 50 ms after it reported one (no trailing event), so the last write of a
// quick succession could go unseen. We look at the file again just after that window and report what it missed.
const RECHECK_MS = 60;

export function startWatcher(options: WatcherOptions): Watcher {
  const ignored = createIgnore(options.ignore);
  const gitignores = new GitIgnores(options.root);
  // A file named in `watch` is watched even if git ignores it (.env usually is).
  const named = new Set(options.paths);
  const relativeTo = (absolute: string) => toPosix(relative(options.root, absolute));
  const feed = new ChangeFeed(options.onChange, options.onSettled, options.debounce);
  const seen = new Map<string, { ctimeMs: number; timer: NodeJS.Timeout }>();

  const recheck = (path: string, ctimeMs: number) => {
    clearTimeout(seen.get(path)?.timer);
    const timer = setTimeout(() => {
      stat(path).then(
        (stats) => {
          if (stats.ctimeMs === seen.get(path)?.ctimeMs) return seen.delete(path);
          recheck(path, stats.ctimeMs);
          if (!options.alreadyLoaded?.(stats.ctimeMs)) feed.add(relativeTo(path));
        },
        () => seen.delete(path),
      );
    }, RECHECK_MS);
    seen.set(path, { ctimeMs, timer });
  };

  const extensions = new Set(options.ext);
  const counts = (path: string) => extensions.size === 0 || extensions.has(extname(path).slice(1).toLowerCase());
  const fsw: FSWatcher = watch([...options.paths], {
    ignoreInitial: true,
    ...(options.poll === false ? {} : { usePolling: true, interval: options.poll, binaryInterval: options.poll }),
    // Matched on the path relative to the project, so that a project living below a folder named "build" still works.
    ignored: (path, stats) => {
      const rel = relativeTo(path);
      return ignored(rel) || (!named.has(path) && gitignores.ignores(rel, stats?.isDirectory() ?? false));
    },
  });
  fsw.on('all', (event, path, stats) => {
    if (basename(path) === '.gitignore') gitignores.forget(toPosix(relative(options.root, dirname(path))));
    if ((event !== 'add' && event !== 'change' && event !== 'unlink') || !counts(path)) return;
    if (event === 'unlink') {
      clearTimeout(seen.get(path)?.timer);
      seen.delete(path);
    } else {
      recheck(path, stats?.ctimeMs ?? Number.NaN);
      if (stats && options.alreadyLoaded?.(stats.ctimeMs)) return;
    }
    feed.add(relativeTo(path));
  });
  fsw.on('error', (error) => options.onError(error as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    ready,
    close: () => {
      feed.cancel();
      for (const { timer } of seen.values()) clearTimeout(timer);
      seen.clear();
      return (closing ??= fsw.close());
    },
  };
}
