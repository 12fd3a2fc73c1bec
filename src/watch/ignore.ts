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
