// Watches the project (chokidar), drops what never matters (node_modules, .git, build output, editor droppings), and
// turns each burst of changes into one `changed(paths)` call after a quiet period.
import { relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/** Folders never worth a restart; pruned from the walk, so no watch is spent on them. */
export const IGNORED_DIRS = [
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'coverage', '.nyc_output',
  '.next', '.nuxt', '.svelte-kit', '.turbo', '.cache', '.parcel-cache', '.vite',
];
// Editors' swap, backup and atomic-save files (vim, emacs, JetBrains, macOS), and logs an app writes about itself.
const IGNORED_FILES = [/\.sw[a-px]$/, /~$/, /^\.#/, /^#.*#$/, /^4913$/, /^\.DS_Store$/, /___jb_(tmp|old)___$/, /\.log$/];

const wildcard = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);

/**
 * Whether a path (relative to the project root, with '/' separators) is ignored. `extra` entries are names
 * (`tmp`, `*.sqlite`: any path segment) or relative paths (`data/uploads`: that path and below).
 */
export function createIgnore(extra: readonly string[]): (relativePath: string) => boolean {
  const names = new Set(IGNORED_DIRS);
  const patterns = [...IGNORED_FILES];
  const prefixes: string[] = [];
  for (const entry of extra) {
    const clean = entry.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean.includes('/')) prefixes.push(clean);
    else if (clean.includes('*')) patterns.push(wildcard(clean));
    else names.add(clean);
  }
  return (relativePath) => {
    const segments = relativePath.split('/').filter((s) => s !== '..' && s !== '');
    if (segments.some((s) => names.has(s) || patterns.some((p) => p.test(s)))) return true;
    return prefixes.some((p) => relativePath === p || relativePath.startsWith(`${p}/`));
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
 * Collects paths until `quietMs` pass without a new one, then flushes them once, in order, without duplicates.
 * A stream that never goes quiet (an app writing a file every few ms) is still flushed every `maxWaitMs`.
 */
export class Batcher {
  #paths = new Set<string>();
  #timer: unknown;
  #firstAt = 0;
  readonly #flush: (paths: string[]) => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #clock: Clock;

  constructor(flush: (paths: string[]) => void, quietMs: number, maxWaitMs = Math.max(1000, quietMs * 10), clock = systemClock) {
    this.#flush = flush;
    this.#quietMs = quietMs;
    this.#maxWaitMs = maxWaitMs;
    this.#clock = clock;
  }

  add(path: string): void {
    const now = this.#clock.now();
    if (this.#paths.size === 0) this.#firstAt = now;
    this.#paths.add(path);
    this.#clock.clearTimeout(this.#timer);
    const wait = Math.min(this.#quietMs, Math.max(0, this.#firstAt + this.#maxWaitMs - now));
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    const paths = [...this.#paths];
    this.#paths.clear();
    this.#timer = undefined;
    if (paths.length > 0) this.#flush(paths);
  }

  cancel(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#paths.clear();
  }
}

export interface WatcherOptions {
  root: string;
  paths: readonly string[];
  ignore: readonly string[];
  debounce: number;
  onChange: (paths: string[]) => void;
  onError: (error: NodeJS.ErrnoException) => void;
}

export interface Watcher {
  /** Resolves once the initial walk is done and every watch is in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

export function startWatcher(options: WatcherOptions): Watcher {
  const ignored = createIgnore(options.ignore);
  const relativeTo = (absolute: string) => toPosix(relative(options.root, absolute));
  const batcher = new Batcher(options.onChange, options.debounce);
  const fsw: FSWatcher = watch([...options.paths], {
    ignoreInitial: true,
    // Matched on the path relative to the project, so that a project living below a folder named "build" still works.
    ignored: (path) => ignored(relativeTo(path)),
  });
  fsw.on('all', (event, path) => {
    if (event === 'add' || event === 'change' || event === 'unlink') batcher.add(relativeTo(path));
  });
  fsw.on('error', (error) => options.onError(error as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    ready,
    close: () => {
      batcher.cancel();
      return (closing ??= fsw.close());
    },
  };
}
