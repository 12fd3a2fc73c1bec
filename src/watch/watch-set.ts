// What is watched, as pure decisions: the module graph, the `watch` entries and the files named on purpose.
import { lstatSync, statSync } from 'node:fs';
import { dirname, extname, posix, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { GitIgnores } from './gitignore.js';
import { createIgnore } from './ignore.js';

/** One entry of `watch`: a folder or file, or a glob (its base folder is watched, its pattern filters). */
export interface Entry {
  /** Absolute folder (or file) the entry lives under, '/'-separated. */
  base: string;
  /** For a glob: whether a path matches. */
  match?: (path: string) => boolean;
  /** Whether folders below `base` are walked (a folder, or a glob with `/` or `**` in its pattern). */
  deep: boolean;
  /** Named on purpose (a file path, or a default such as `.env*`): watched even if .gitignore or the built-ins say otherwise. */
  named: boolean;
}

const isFile = (path: string) => {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
};
export const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));
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

/** The most loaded files watched one by one, over every run (the set only grows). */
export const MAX_LOADED = 50_000;

/**
 * What is watched, as pure decisions: the files the app loaded (its module graph), the `watch` entries (folders and
 * globs walked, minus the built-in ignores, `ignore` and .gitignore), and files named on purpose (always watched).
 */
export class WatchSet {
  readonly root: string;
  readonly entries: readonly Entry[];
  /** Files the app loaded (absolute, '/'-separated). Only grows: a file a crashed start never reached stays watched. */
  readonly loaded = new Set<string>();
  /** Whether addLoaded turned files away at MAX_LOADED. */
  full = false;
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
      if (this.loaded.size >= MAX_LOADED) {
        this.full = true;
        break;
      }
      if (this.#ignored(this.relative(path), true) || !this.#extension(path)) continue;
      this.loaded.add(path);
      added.push(path);
    }
    return added;
  }

  /** Whether a change to this file restarts the app. */
  isWatched(file: string): boolean {
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
    if (kinds.some((dir) => this.entries.some((e) => this.#covers(e, path, dir)))) return false;
    // A file in a folder that is watched anyway is let through, at no cost (the folder's watch reports it), so that
    // a change to it is seen, and said to restart nothing (see why()).
    if (isDir === true || !this.entries.some((e) => this.#covers(e, posix.dirname(path), true))) return true;
    // chokidar asks first without stats: a look of our own tells a file from a folder (never walked).
    return isDir === undefined ? !isFile(file) : false;
  }

  /** Why a change to this file restarts nothing (undefined when it does): the rule that skips it, in a few words. */
  why(file: string): string | undefined {
    const path = toPosix(file);
    if (this.isWatched(path)) return undefined;
    const rel = this.relative(path);
    if (!this.#extension(path)) return `not a ${[...this.#extensions].map((e) => `.${e}`).join('/')} file (ext)`;
    if (this.#ignored(rel)) return 'an ignored name (built-in or ignore)';
    if (this.#gitignores.ignores(rel, false)) return 'ignored by .gitignore';
    return this.entries.some((e) => e.deep && !e.named && this.#covers(e, posix.dirname(path), true)) ? 'not matched by watch' : 'not loaded by the app';
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
