// What to watch for a set of options: the module graph (when the app reports one), the `watch` entries, the whole
// project with watchAll, and the files that configure the app.
import { dirname, join, relative, sep } from 'node:path';
import type { Options } from '../config/schema.js';
import { isPython, reportsModules } from '../process/spawn.js';
import { createIgnore } from './ignore.js';

/** Always watched, even when git ignores them: what configures the app rather than being part of it. */
export const WATCHED_BY_DEFAULT = ['.env*', 'package.json', 'tsconfig.json'];

/**
 * A Node entry reports the modules it loads, so its module graph is watched, plus `watch` (and the whole project
 * with `watchAll`). Without a graph (exec, a Python entry), `watch` replaces the fallback: the entry's folder's
 * `*.py` for Python, the whole project otherwise.
 */
export function watchTargets(options: Options): { watch: string[]; named: string[]; graph: boolean } {
  const { cwd, entry } = options;
  // With a build step the entry may be what it makes (dist/main.js): then, ignored (ignore: ['dist']), it is not named.
  const builtEntry = entry !== undefined && options.build !== undefined && createIgnore(options.ignore)(relative(cwd, entry).split(sep).join('/'), true);
  const named = [...WATCHED_BY_DEFAULT.map((p) => join(cwd, p)), ...(entry !== undefined && !options.exec && !builtEntry ? [entry] : [])];
  const all = options.watchAll ? [cwd] : [];
  if (reportsModules(options)) return { watch: [...options.watch, ...all], named, graph: true };
  if (!options.exec && isPython(entry)) {
    return { watch: [join(dirname(entry), '**', '*.py'), ...options.watch, ...all], named, graph: false };
  }
  return { watch: options.watch.length > 0 ? [...options.watch, ...all] : [cwd], named, graph: false };
}
