// The chokidar adapter: watches what the WatchSet says, turns file events into changes (dropping those the running
// app already has, as Freshness judges), and feeds them to the quiet period.
import { statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { ChangeFeed } from './change-feed.js';
import { FolderLinks } from './folder-links.js';
import { MAX_LOADED, toPosix, type WatchSet } from './watch-set.js';

/** The one question the watcher asks of the supervisor's Freshness, and what it tells it. */
export interface FreshnessView {
  /** Whether the running app has this version (ctime) of the file (absolute path). */
  inApp(file: string, ctimeMs: number): boolean;
  /** A change to this file was seen, with this ctime (undefined: deleted). */
  changed(file: string, ctimeMs: number | undefined): void;
}

export interface WatcherOptions {
  set: WatchSet;
  /** The quiet period, in ms, before the next start. */
  quietMs: number;
  /** Poll every this many ms instead of relying on file system events. */
  poll: number | false;
  onChange: (paths: string[]) => void;
  /** The burst is over: no change for the quiet period. */
  onSettled: (paths: string[]) => void;
  /** A file event that restarts nothing, and the rule that skipped it. */
  onIgnored?: (path: string, rule: string) => void;
  /**
   * Which version of each file the running app has. Late events (a busy machine, or our re-check) for writes the
   * current app loaded must not restart it again, nor a file the app generated and then imported.
   */
  freshness: FreshnessView;
  onError: (error: NodeJS.ErrnoException) => void;
}

export interface Watcher {
  /** Resolves once the initial walk is done and every watch is in place. */
  ready: Promise<void>;
  /**
   * Watches files the app reported loading; returns how many were new. A file that changed since the app loaded it
   * (as Freshness judges) counts as changed, however long before its watch was in place.
   */
  addLoaded(files: readonly string[]): number;
  /** Whether this path (relative to the root, as in changes) is one the app loaded. */
  isLoaded(relativePath: string): boolean;
  /** Whether a change to this file (absolute path) restarts the app: it loaded it, or the watch entries cover it. */
  watches(file: string): boolean;
  close(): Promise<void>;
}

// chokidar drops a file's change events for 50 ms after it reported one (no trailing event), so the last write of a
// quick succession could go unseen. We look at the file again just after that window and report what it missed.
const RECHECK_MS = 60;

/**
 * The most paths (files and folders) one devsup watches. Past it nothing more is watched, and one line says so:
 * a walk that would not end (a link loop we could not tell) or a project far larger than a dev server's must not
 * grow devsup without bound. chokidar keeps a watch per path, so 20,000 is ~100 MB more.
 */
export const MAX_WATCHED = Number(process.env.DEVSUP_MAX_WATCHED) > 0 ? Number(process.env.DEVSUP_MAX_WATCHED) : 20_000;

export function startWatcher(options: WatcherOptions): Watcher {
  const { set } = options;
  const feed = new ChangeFeed(options.onChange, options.onSettled, options.quietMs);
  const { freshness } = options;
  const inApp = (path: string, ctimeMs: number) => freshness.inApp(path, ctimeMs);
  const changed = (path: string, ctimeMs: number | undefined) => {
    freshness.changed(path, ctimeMs);
    feed.add(set.relative(path));
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

  // A file of the burst whose ctime moved since its last event was written again inside chokidar's 50 ms window, for
  // which chokidar reports nothing: it is a change now, not at the recheck. True if it was one.
  const lookAgain = (path: string): boolean => {
    const last = seen.get(path)?.ctimeMs;
    if (last === undefined) return false;
    let ctimeMs: number;
    try {
      ctimeMs = statSync(path).ctimeMs;
    } catch {
      return false; // deleted meanwhile: its unlink is on the way
    }
    if (ctimeMs === last) return false;
    recheck(path, ctimeMs);
    if (inApp(path, ctimeMs)) return false;
    changed(path, ctimeMs);
    return true;
  };
  // When the quiet period ends, the burst's files are looked at again: a write the window hid keeps the burst open.
  feed.lookAgain = (paths) => paths.map((p) => lookAgain(resolve(set.root, p))).includes(true);

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
  const links = new FolderLinks(set.roots());
  const admitted = new Set<string>();
  let bounded = false;
  const skips = (path: string, stats: Stats | undefined): boolean => {
    if (stats?.isSymbolicLink() ? links.skips(path) : links.judged(path)) return true;
    if (set.skips(path, stats === undefined ? undefined : stats.isDirectory())) return true;
    if (stats === undefined || admitted.has(path) || set.loaded.has(toPosix(path))) return false;
    if (admitted.size >= MAX_WATCHED) {
      if (!bounded) {
        bounded = true;
        const error: NodeJS.ErrnoException = new Error(`${MAX_WATCHED} paths watched, the most devsup watches; nothing more under ${set.root} is (narrow watch, or add to ignore)`);
        error.code = 'EDEVSUP_WATCH_BOUND';
        options.onError(error);
      }
      return true;
    }
    admitted.add(path);
    return false;
  };
  const fsw: FSWatcher = watch(set.roots(), {
    ignoreInitial: false,
    ...(options.poll === false ? {} : { usePolling: true, interval: options.poll, binaryInterval: options.poll }),
    ignored: (path, stats) => skips(path, stats),
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
    if (!set.isWatched(path)) {
      const rule = set.why(path);
      if (rule !== undefined) options.onIgnored?.(set.relative(path), rule);
      return;
    }
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
  // chokidar's raw events are not throttled: one for a file changed a moment ago may be the write its window hides.
  // Looked at at once, so that a second write 20 or 40 ms after the first is part of the burst, not the next one.
  fsw.on('raw', (_event: string, evPath: string | null, details: unknown) => {
    const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (watched === undefined) return;
    if (seen.has(watched)) lookAgain(watched);
    else if (evPath) {
      const path = resolve(watched, evPath);
      if (seen.has(path)) lookAgain(path);
    }
  });
  fsw.on('error', (error) => options.onError(error as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    ready,
    addLoaded: (files) => {
      const wasFull = set.full;
      const added = set.addLoaded(files);
      if (set.full && !wasFull) {
        const error: NodeJS.ErrnoException = new Error(`${MAX_LOADED} loaded files watched, the most devsup watches one by one; no more are`);
        error.code = 'EDEVSUP_WATCH_BOUND';
        options.onError(error);
      }
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
    watches: (file) => set.isWatched(file),
    close: () => {
      feed.cancel();
      for (const { timer } of seen.values()) clearTimeout(timer);
      seen.clear();
      return (closing ??= fsw.close());
    },
  };
}
