// The config file: finding the nearest supervisor.config.* and loading it (TypeScript through tsx) as an options layer.
import { accessSync, constants as constants_fs, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DevsupError } from '../core/errors.js';
import { show, type Layer } from './normalize.js';

const CONFIG_FILES = [
  'supervisor.config.ts',
  'supervisor.config.mts',
  'supervisor.config.js',
  'supervisor.config.mjs',
] as const;

/** The nearest supervisor.config.* in `dir` or above it, up to the package root (the first folder with a package.json). */
export function findConfigFile(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = CONFIG_FILES.map((name) => join(at, name)).find((file) => existsSync(file));
    if (found) return found;
    if (existsSync(join(at, 'package.json')) || dirname(at) === at) return undefined;
  }
}

/** How long a config file may take to load (import and top-level await) before devsup gives up on it. */
export const CONFIG_LOAD_MS = 5000;

// A config that never settles. A top-level await that cannot settle (nothing left to wait for) would let the event
// loop run dry and devsup exit 0 without a word: 'beforeExit' says so at once. One that waits on something that never
// comes gets CONFIG_LOAD_MS. One that loops forever at import blocks this thread, timers included: a watchdog thread
// (a ~2 ms start, idle in Atomics.wait) says so and kills devsup — nothing of the app runs yet. Loading the config in
// a worker instead would cost tsx's start a second time, and a config's functions (hooks) could not cross over.
async function settled<T>(loading: Promise<T>, name: string): Promise<T> {
  const line = (why: string) => `${name} did not finish loading: ${why}`;
  const hint = 'fix the config file; devsup reads it once at start';
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const watchdog = new Worker(
    `const { workerData: { flag, ms, line } } = require('node:worker_threads');
if (Atomics.wait(flag, 0, 0, ms) === 'timed-out') { require('node:fs').writeSync(2, line); process.kill(process.pid, 'SIGKILL'); }`,
    { eval: true, workerData: { flag, ms: CONFIG_LOAD_MS + 1000, line: `[devsup] error: ${line(`still running after ${CONFIG_LOAD_MS / 1000} s, and blocking devsup (an endless loop at import?)`)} (${hint})\n` } },
  );
  watchdog.unref();
  let timer: NodeJS.Timeout | undefined;
  let dry: (() => void) | undefined;
  try {
    return await Promise.race([
      loading,
      new Promise<never>((_, reject) => {
        const fail = (why: string) => reject(new DevsupError('CONFIG_LOAD_TIMEOUT', line(why), { hint }));
        timer = setTimeout(() => fail(`still loading after ${CONFIG_LOAD_MS / 1000} s (a top-level await that never settles?)`), CONFIG_LOAD_MS).unref();
        dry = () => fail('its top-level await never settles (it waits for nothing that can happen)');
        process.once('beforeExit', dry);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (dry) process.off('beforeExit', dry);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}

/** Loads a config file (TypeScript through tsx, no build step). Its default export is the config. */
export async function loadConfigFile(file: string): Promise<Layer> {
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path)) {
    throw new DevsupError('CONFIG_NOT_FOUND', `config file not found: ${path}`, {
      hint: 'check the --config path',
    });
  }
  if (statSync(path).isDirectory()) {
    throw new DevsupError('CONFIG_NOT_A_FILE', `config file is a directory: ${relativeName(path)}`, {
      hint: 'give --config a supervisor.config.ts file',
    });
  }
  try {
    accessSync(path, constants_fs.R_OK);
  } catch (error) {
    throw new DevsupError('CONFIG_UNREADABLE', `cannot read config file ${relativeName(path)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'check its permissions',
    });
  }
  let loaded: { default?: unknown };
  try {
    if (/\.[mc]?ts$/.test(path)) {
      // Loaded lazily: runs without a config file, or with a .js one, never pay for the TypeScript loader.
      const { tsImport } = await import('tsx/esm/api');
      loaded = (await settled(tsImport(pathToFileURL(path).href, import.meta.url), relativeName(path))) as { default?: unknown };
    } else {
      loaded = (await settled(import(pathToFileURL(path).href), relativeName(path))) as { default?: unknown };
    }
  } catch (error) {
    if (error instanceof DevsupError) throw error;
    const where = locate(error, path);
    throw new DevsupError('CONFIG_LOAD_FAILED', `${where}: ${firstLine(error)}`, {
      hint: 'fix the config file; devsup reads it once at start',
      cause: error,
    });
  }
  const name = relativeName(path);
  const hint = 'export default defineConfig({ entry: "src/server.ts" })';
  const config = read(name, 'its default export', () => (loaded.default as { default?: unknown } | undefined)?.default ?? loaded.default);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new DevsupError('CONFIG_INVALID', `${path}: the default export must be a config object, got ${show(config)}`, { hint });
  }
  if (read(name, 'then', () => typeof (config as { then?: unknown }).then === 'function')) {
    throw new DevsupError('CONFIG_INVALID', `${name}: the default export is a Promise, not a config object`, {
      hint: 'export the object itself, or await it at the top level: export default await makeConfig()',
    });
  }
  // Each value read once, here: a getter that throws is a config error naming its key, not devsup's own.
  const values: Record<string, unknown> = {};
  for (const key of read(name, 'its keys', () => Object.keys(config))) values[key] = read(name, key, () => (config as Record<string, unknown>)[key]);
  return { source: name, values, base: dirname(path) };
}

// One read of the config object, whose getters (or a Proxy's traps) may throw.
function read<T>(name: string, what: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    throw new DevsupError('CONFIG_INVALID', `${name}: reading ${what} threw: ${firstLine(error)}`, { hint: 'fix the config file; devsup reads it once at start', cause: error });
  }
}

// The config file as the person would name it: relative to where they are, unless it is outside.
function relativeName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // esbuild (through tsx) says "Transform failed with 1 error:" first and the useful part on a later line.
  const compile = /ERROR: (.*)/.exec(message);
  if (compile) return compile[1]!.trim();
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'failed to load';
}

// "file:line" from the error's stack or esbuild's location, when it points into the config file.
function locate(error: unknown, path: string): string {
  const name = relativeName(path);
  const stack = error instanceof Error ? `${error.stack ?? ''}\n${error.message}` : '';
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)`).exec(stack) ?? new RegExp(`${escaped.replace(/^.*\//, '')}:(\\d+)`).exec(stack);
  return match ? `${name}:${match[1]}` : name;
}
