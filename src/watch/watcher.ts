// Watches the project (chokidar), drops what never matters (node_modules, .git, build output, editor droppings),
// reports changes at once and says when they have settled (a quiet period), so a burst makes one restart.
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, posix, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { watch, type FSWatcher } from 'chokidar';
import { GitIgnores } from './gitignore.js';

/** Folders never worth a restart; pruned from the walk, so no watch is spent on them. */
export const IGNORED_DIRS = [
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'coverage', '.nyc_output',
  '.next', '.nuxt', '.svelte-kit', '.turbo', '.cache', '.parcel-cache', '.vite',
  '__pycache__', '.venv', '.mypy_cache', '.pytest_cache',
];
// Build output is skipped in walks, but a file the app imports from it (`devsup run dist/server.js` beside `tsc -w`)
// is part of the app. Dependencies, version control and framework caches never are: a framework's dev server
// rewrites its cache (`.next/server/…`) while the app runs, and requires it.
const BUILD_OUTPUT = new Set(['dist', 'build', 'out']);
// Editors' and tools' swap, backup and atomic-save files (vim, emacs, JetBrains, macOS, `sed -i`, `*.tmp`), and logs
// an app writes about itself.
const IGNORED_FILES = [
  /\.sw[a-px]$/, /~$/, /^\.#/, /^#.*#$/, /^4913$/, /^\.DS_Store$/, /___jb_(tmp|old)___$/, /^sed[A-Za-z0-9]{6}$/, /\.tmp$/i,
  /\.log$/, /\.py[co]$/,
];

/**
 * Whether a path (relative to the project root, with '/' separators) is ignored. `extra` entries are globs
 * (picomatch): one without a slash matches any path segment (`tmp`, `*.sqlite`), one with a slash matches the
 * relative path and everything below it (`data/uploads`, `fixtures/*.json`). For a module the app loaded
 * (`loaded`), build output folders are not ignored.
 */
export function createIgnore(extra: readonly string[]): (relativePath: string, loaded?: boolean) => boolean {
  const segmentMatchers = IGNORED_FILES.map((re) => (segment: string) => re.test(segment));
  const pathMatchers: ((path: string) => boolean)[] = [];
  for (const entry of extra) {
    const clean = entry.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean === '') continue;
    if (clean.includes('/')) pathMatchers.push(picomatch([clean, `${clean}/**`], { dot: true }));
    else segmentMatchers.push(picomatch(clean, { dot: true }));
  }
  const dirs = new Set(IGNORED_DIRS);
  const loadedDirs = new Set(IGNORED_DIRS.filter((d) => !BUILD_OUTPUT.has(d)));
  return (relativePath, loaded = false) => {
    const names = loaded ? loadedDirs : dirs;
    const segments = relativePath.split('/').filter((s) => s !== '..' && s !== '');
    if (segments.some((s) => names.has(s) || segmentMatchers.some((m) => m(s)))) return true;
    return pathMatchers.some((m) => m(relativePath));
  };
}

// Over this many files in one burst, the quiet period is at least MASS_CHANGE_QUIET_MS.
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
  /** The files changed since the last settle. */
  readonly #episodePaths = new Set<string>();
  readonly #onChange: (paths: string[]) => void;
  readonly #onSettled: () => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;

  constructor(
    onChange: (paths: string[]) => void,
    onSettled: () => void,
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
    // A mass change (a checkout, a code generator) is written by a process that a busy machine can stall for longer
    // than a single save's quiet period; waiting a little longer for it costs nothing a person would notice.
    const quiet = this.#episodePaths.size > MASS_CHANGE_FILES ? Math.max(this.#quietMs, MASS_CHANGE_QUIET_MS) : this.#quietMs;
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
    this.#episodeStart = undefined;
    this.#episodePaths.clear();
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
    this.#episodePaths.clear();
  }
}

/** One entry of `watch`: a folder or file, or a glob (its base folder is watched, its pattern filters). */
interface Entry {
  /** Absolute folder (or file) the entry lives under, '/'-separated. */
  base: string;
  /** For a glob: whether a path matches. */
  match?: (path: string) => boolean;
  /** Whether folders below `base` are walked (a folder, or a glob with `/` or `**` in its pattern). */
  deep: boolean;
  /** Named on purpose (a file path, or a default such as `.env*`): watched even if .gitignore or the built-ins say otherwise. */
  named: boolean;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));
const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

function toEntry(path: string, named: boolean): Entry {
  const clean = toPosix(path);
  const scan = picomatch.scan(clean);
  if (scan.isGlob) {
    const matcher = picomatch(clean, { dot: true });
    return { base: scan.base, match: matcher, deep: scan.glob.includes('/') || scan.glob.includes('**'), named };
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // not there (yet): watched as a file, and seen when it appears
  }
  return { base: clean, deep: isDir, named: named || !isDir };
}

/**
 * What is watched, as pure decisions: the files the app loaded (its module graph), the `watch` entries (folders and
 * globs walked, minus the built-in ignores, `ignore` and .gitignore), and files named on purpose (always watched).
 */
export class WatchSet {
  readonly root: string;
  readonly entries: readonly Entry[];
  /** Files the app loaded (absolute, '/'-separated). Only grows: a file a crashed start never reached stays watched. */
  readonly loaded = new Set<string>();
  readonly #ignored: ReturnType<typeof createIgnore>;
  readonly #gitignores: GitIgnores;
  readonly #extensions: Set<string>;

  constructor(options: { root: string; watch: readonly string[]; named?: readonly string[]; ignore: readonly string[]; ext: readonly string[] }) {
    this.root = toPosix(options.root);
    this.entries = [...options.watch.map((p) => toEntry(p, false)), ...(options.named ?? []).map((p) => toEntry(p, true))];
    this.#ignored = createIgnore(options.ignore);
    this.#gitignores = new GitIgnores(options.root);
    this.#extensions = new Set(options.ext);
  }

  relative(path: string): string {
    return toPosix(relative(this.root, path));
  }

  /** A .gitignore changed: its folder's rules are read again. */
  gitignoreChanged(path: string): void {
    this.#gitignores.forget(this.relative(dirname(path)));
  }

  /**
   * Takes in files the app reported loading; returns the ones that are new and count (not in node_modules, not
   * ignored, the right extension).
   */
  addLoaded(files: readonly string[]): string[] {
    const added: string[] = [];
    for (const file of files) {
      const path = toPosix(file);
      if (this.loaded.has(path)) continue;
      if (this.#ignored(this.relative(path), true) || !this.#extension(path)) continue;
      this.loaded.add(path);
      added.push(path);
    }
    return added;
  }

  /** Whether a change to this file restarts the app. */
  counts(file: string): boolean {
    const path = toPosix(file);
    if (this.loaded.has(path)) return true;
    return this.entries.some((e) => this.#covers(e, path, false) && (e.named || this.#extension(path)));
  }

  /** Whether this path is covered by a walked folder or glob (a loaded file there needs no watch of its own). */
  walked(file: string): boolean {
    const path = toPosix(file);
    return this.entries.some((e) => e.deep && this.#covers(e, path, false));
  }

  /**
   * The paths to hand to chokidar: each entry's base, except those inside another entry's folder, which the walk of
   * that folder reaches anyway (given both, chokidar would set up the inner one twice).
   */
  roots(): string[] {
    const dirs = this.entries.filter((e) => e.deep || e.match !== undefined).map((e) => e.base);
    const inside = (base: string) => dirs.some((dir) => dir !== base && within(base, dir));
    return [...new Set(this.entries.map((e) => e.base))].filter((base) => !inside(base));
  }

  /** For the walk: whether to skip this path (and, for a folder, everything below it). */
  skips(file: string, isDir: boolean | undefined): boolean {
    const path = toPosix(file);
    if (this.loaded.has(path)) return false;
    // A folder on the way to an entry's base is walked (only what the entries cover below it is watched).
    if (isDir !== false && this.entries.some((e) => e.base !== path && within(e.base, path))) return false;
    const kinds = isDir === undefined ? [true, false] : [isDir];
    return !kinds.some((dir) => this.entries.some((e) => this.#covers(e, path, dir)));
  }

  #covers(entry: Entry, path: string, isDir: boolean): boolean {
    // A file entry covers that file.
    if (!entry.deep && entry.match === undefined) return !isDir && path === entry.base;
    // A folder or a glob: its base folder itself, so that it is walked.
    if (path === entry.base) return isDir;
    if (!within(path, entry.base)) return false;
    // A glob without a folder in its pattern (`.env*`, `config/*.yml`) looks at the base folder's own files only.
    if (!entry.deep && (isDir || posix.dirname(path) !== entry.base)) return false;
    if (!entry.named) {
      const rel = this.relative(path);
      if (this.#ignored(rel) || this.#gitignores.ignores(rel, isDir)) return false;
    }
    return isDir || entry.match === undefined || entry.match(path);
  }

  #extension(path: string): boolean {
    return this.#extensions.size === 0 || this.#extensions.has(extname(path).slice(1).toLowerCase());
  }
}

export interface WatcherOptions {
  set: WatchSet;
  debounce: number;
  /** Poll every this many ms instead of relying on file system events. */
  poll: number | false;
  onChange: (paths: string[]) => void;
  onSettled: () => void;
  /**
   * Whether a change to this file (absolute path) made at this time (its ctime, ms since the epoch) is already in the
   * running app. Late events (a busy machine, or our re-check) for writes the current app loaded must not restart it
   * again, nor a file the app generated and then imported.
   */
  alreadyLoaded?: (path: string, changedAtMs: number) => boolean;
  onError: (error: NodeJS.ErrnoException) => void;
}

export interface Watcher {
  /** Resolves once the initial walk is done and every watch is in place. */
  ready: Promise<void>;
  /**
   * Watches files the app reported loading; returns how many were new. A file that changed since the app loaded it
   * (as `alreadyLoaded` judges) counts as changed, however long before its watch was in place.
   */
  addLoaded(files: readonly string[]): number;
  /** Whether this path (relative to the root, as in changes) is one the app loaded. */
  isLoaded(relativePath: string): boolean;
  /** The ctime of the latest change reported for this path (relative, as in changes), unless it was a deletion. */
  lastChangeAt(relativePath: string): number | undefined;
  close(): Promise<void>;
}

// chokidar drops a file's change events for 50 ms after it reported one (no trailing event), so the last write of a
// quick succession could go unseen. We look at the file again just after that window and report what it missed.
const RECHECK_MS = 60;

export function startWatcher(options: WatcherOptions): Watcher {
  const { set } = options;
  const feed = new ChangeFeed(options.onChange, options.onSettled, options.debounce);
  const inApp = (path: string, ctimeMs: number) => options.alreadyLoaded?.(path, ctimeMs) ?? false;
  const changedAt = new Map<string, number>();
  const changed = (path: string, ctimeMs: number | undefined) => {
    const relativePath = set.relative(path);
    if (ctimeMs === undefined) changedAt.delete(relativePath);
    else changedAt.set(relativePath, Math.max(ctimeMs, changedAt.get(relativePath) ?? ctimeMs));
    feed.add(relativePath);
  };
  const seen = new Map<string, { ctimeMs: number; timer: NodeJS.Timeout }>();
  // Files watched one by one (loaded files outside the walked folders, named files): chokidar stops watching such a
  // file when it is deleted (vim's backup-and-write save does that), so it is added again to see it come back.
  const single = new Set(set.entries.filter((e) => !e.deep && e.match === undefined).map((e) => e.base));

  const recheck = (path: string, ctimeMs: number) => {
    clearTimeout(seen.get(path)?.timer);
    const timer = setTimeout(() => {
      stat(path).then(
        (stats) => {
          if (stats.ctimeMs === seen.get(path)?.ctimeMs) return seen.delete(path);
          recheck(path, stats.ctimeMs);
          if (!inApp(path, stats.ctimeMs)) changed(path, stats.ctimeMs);
        },
        () => seen.delete(path),
      );
    }, RECHECK_MS);
    seen.set(path, { ctimeMs, timer });
  };

  // A file whose 'add' is reported is new only if it appeared after we started watching where it is: chokidar's
  // 'ready' can come before the walk of a folder found on the way has finished, and files written in that window
  // would otherwise count as "there at the start" and never be reported. So chokidar reports every file it finds,
  // and its status-change time says which are new.
  const since = new Map<string, number>();
  const watchedFrom = Date.now();
  const isNew = (path: string, stats: Stats | undefined) =>
    stats !== undefined && stats.ctimeMs >= (since.get(toPosix(path)) ?? watchedFrom);
  const watchFile = (path: string) => {
    // A loaded file's 'add' is judged against the version the app loaded (inApp), not by when its watch began.
    if (!set.loaded.has(toPosix(path))) since.set(toPosix(path), Date.now());
    fsw.add(path);
  };
  const roots = set.roots();
  const fsw: FSWatcher = watch(roots.length > 0 ? roots : [], {
    ignoreInitial: false,
    ...(options.poll === false ? {} : { usePolling: true, interval: options.poll, binaryInterval: options.poll }),
    ignored: (path, stats) => set.skips(path, stats === undefined ? undefined : stats.isDirectory()),
  });
  fsw.on('all', (event, path, stats) => {
    if (basename(path) === '.gitignore') set.gitignoreChanged(path);
    if (event !== 'add' && event !== 'change' && event !== 'unlink') return;
    if (event === 'add' && set.loaded.has(toPosix(path))) {
      if (!stats) return;
      // chokidar took these stats before its watch of the file began: a write in between is seen only by looking again.
      recheck(path, stats.ctimeMs);
      if (!inApp(path, stats.ctimeMs)) changed(path, stats.ctimeMs);
      return;
    }
    if (event === 'add' && !isNew(path, stats)) return;
    if (!set.counts(path)) return;
    if (event === 'unlink') {
      clearTimeout(seen.get(path)?.timer);
      seen.delete(path);
      if (single.has(toPosix(path))) watchFile(path);
    } else {
      recheck(path, stats?.ctimeMs ?? Number.NaN);
      if (stats && inApp(path, stats.ctimeMs)) return;
    }
    changed(path, event === 'unlink' ? undefined : stats?.ctimeMs);
  });
  fsw.on('error', (error) => options.onError(error as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    ready,
    addLoaded: (files) => {
      const added = set.addLoaded(files);
      for (const path of added) {
        if (set.walked(path)) continue;
        single.add(path);
        watchFile(path);
        stat(path).then(
          (stats) => {
            recheck(path, stats.ctimeMs);
            if (!inApp(path, stats.ctimeMs)) changed(path, stats.ctimeMs);
          },
          () => {},
        );
      }
      return added.length;
    },
    isLoaded: (relativePath) => set.loaded.has(toPosix(resolve(set.root, relativePath))),
    lastChangeAt: (relativePath) => changedAt.get(relativePath),
    close: () => {
      feed.cancel();
      for (const { timer } of seen.values()) clearTimeout(timer);
      seen.clear();
      return (closing ??= fsw.close());
    },
  };
}
