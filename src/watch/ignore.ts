// What is never worth a restart: dependency, version-control and build folders, framework caches, editor droppings,
// logs, and the person's own ignore globs.
import picomatch from 'picomatch';

/** Folders never worth a restart; pruned from the walk, so no watch is spent on them. */
const IGNORED_DIRS = [
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
  const segments = new Names();
  const paths = new Names();
  for (const entry of extra) {
    const clean = entry.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
    if (clean === '') continue;
    (clean.includes('/') ? paths : segments).add(clean);
  }
  const segment = segments.compile();
  const path = paths.compile();
  const dirs = new Set(IGNORED_DIRS);
  const loadedDirs = new Set(IGNORED_DIRS.filter((d) => !BUILD_OUTPUT.has(d)));
  return (relativePath, loaded = false) => {
    const names = loaded ? loadedDirs : dirs;
    const parts = relativePath.split('/').filter((s) => s !== '..' && s !== '');
    if (parts.some((s) => names.has(s) || IGNORED_FILES.some((re) => re.test(s)) || segment?.(s) === true)) return true;
    if (!path) return false;
    // A path glob matches the path itself or a folder above it (`data/uploads` ignores data/uploads/a.png).
    for (let at = relativePath.length; at > 0; at = relativePath.lastIndexOf('/', at - 1)) {
      if (path(relativePath.slice(0, at))) return true;
    }
    return false;
  };
}

// Globs per compiled expression: one RegExp for many, but none so large that V8 balks at it.
const PER_EXPRESSION = 1000;
// picomatch's syntax: a glob's literal head ends at the first of these, its literal tail begins after the last.
const SPECIAL = /[*?[\]{}()!+@\\|]/;

/**
 * Many globs as one matcher, compiled once and lazily: names without glob syntax in a Set; each glob filed under
 * its literal head (`gen5/` of a `gen5/` glob) or, for one that starts with a wildcard, its literal tail (`.log` of
 * `*.log`), so that a name is tried only against the globs whose head it starts with or whose tail it ends with —
 * each group one regular expression, compiled the first time a name reaches it. A picomatch matcher per glob,
 * each tried on every path, was ~12 KB a glob (50,000 took 590 MB, 200,000 ran out of heap).
 */
class Names {
  readonly #literal = new Set<string>();
  readonly #heads = new Group((name, length) => name.slice(0, length));
  readonly #tails = new Group((name, length) => name.slice(name.length - length));
  readonly #rest = new Group(() => '');
  readonly #negated: ((name: string) => boolean)[] = [];

  add(glob: string): void {
    const scan = picomatch.scan(glob);
    if (scan.negated) return void this.#negated.push(picomatch(glob, { dot: true })); // rare: one matcher each
    if (!scan.isGlob) return void this.#literal.add(glob);
    const first = glob.search(SPECIAL);
    if (first > 0) return this.#heads.add(glob.slice(0, first), glob);
    let last = glob.length - 1;
    while (last >= 0 && !SPECIAL.test(glob[last]!)) last -= 1;
    const tail = glob.slice(last + 1);
    if (tail !== '') return this.#tails.add(tail, glob);
    this.#rest.add('', glob);
  }

  compile(): ((name: string) => boolean) | undefined {
    const literal = this.#literal;
    const groups = [this.#heads, this.#tails, this.#rest].filter((g) => !g.empty);
    const negated = this.#negated;
    if (literal.size === 0 && groups.length === 0 && negated.length === 0) return undefined;
    return (name) => literal.has(name) || groups.some((g) => g.matches(name)) || negated.some((m) => m(name));
  }
}

class Group {
  readonly #globs = new Map<string, string[]>();
  readonly #compiled = new Map<string, RegExp[]>();
  readonly #lengths = new Set<number>();
  readonly #key: (name: string, length: number) => string;

  constructor(key: (name: string, length: number) => string) {
    this.#key = key;
  }

  get empty(): boolean {
    return this.#globs.size === 0 && this.#compiled.size === 0;
  }

  add(key: string, glob: string): void {
    const globs = this.#globs.get(key);
    if (globs) globs.push(glob);
    else this.#globs.set(key, [glob]);
    this.#lengths.add(key.length);
  }

  matches(name: string): boolean {
    for (const length of this.#lengths) {
      if (length > name.length) continue;
      const key = this.#key(name, length);
      let found = this.#compiled.get(key);
      if (found === undefined) {
        const globs = this.#globs.get(key);
        if (globs === undefined) continue;
        found = [];
        for (let i = 0; i < globs.length; i += PER_EXPRESSION) {
          const sources = globs.slice(i, i + PER_EXPRESSION).map((glob) => `(?:${picomatch.makeRe(glob, { dot: true }).source})`);
          found.push(new RegExp(`^(?:${sources.join('|')})`));
        }
        this.#globs.delete(key);
        this.#compiled.set(key, found);
      }
      if (found.some((re) => re.test(name))) return true;
    }
    return false;
  }
}
