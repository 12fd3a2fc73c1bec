// The one options model: defaults < config file < command line (or the API's options), validated once, then frozen.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DevsupError, didYouMean } from './errors.js';
import type { LogFormat, LogLevel } from './logger.js';

/** What a person writes in supervisor.config.ts (or passes to createSupervisor). Every key is optional. */
export interface Config {
  /** The app's entry file (.ts/.mts/.cts/.js/.mjs/.cjs). */
  entry?: string;
  /** Arguments for the app. */
  args?: string[];
  /** Arguments for node itself, e.g. ['--inspect', '--enable-source-maps']. */
  nodeArgs?: string[];
  /** The app's working directory, and the root that relative paths are resolved against. */
  cwd?: string;
  /** Variables set for the app, over devsup's own environment. */
  env?: Record<string, string>;
  /** Files and folders to watch (default: the whole project, ".") */
  watch?: string[];
  /** Names or relative paths never to watch, on top of the built-in ones (node_modules, .git, dist, …). */
  ignore?: string[];
  /** Quiet period in ms: changes closer together than this make one restart. */
  debounce?: number;
  /** How long the app's cleanups may take, in ms, before devsup sends `signal`. */
  stopTimeout?: number;
  /** How long after `signal` devsup waits, in ms, before it SIGKILLs the app's process tree. */
  killGrace?: number;
  /** An app that never calls ready() counts as ready after this many ms. */
  readyTimeout?: number;
  /** The signal that asks an app to stop when it does not speak the IPC protocol, and the second rung of the ladder. */
  signal?: NodeJS.Signals;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
  /** The line typed on stdin that restarts the app ("rs", as in nodemon), or false to leave stdin alone. */
  restartable?: string | false;
}

/** Typed identity: lets an editor check supervisor.config.ts. */
export function defineConfig(config: Config): Config {
  return config;
}

/** Normalized options: every key present, paths absolute. */
export interface Options {
  readonly entry: string | undefined;
  readonly args: readonly string[];
  readonly nodeArgs: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly watch: readonly string[];
  readonly ignore: readonly string[];
  readonly debounce: number;
  readonly stopTimeout: number;
  readonly killGrace: number;
  readonly readyTimeout: number;
  readonly signal: NodeJS.Signals;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly restartable: string | false;
}

export const defaults = {
  args: [],
  nodeArgs: [],
  env: {},
  watch: ['.'],
  ignore: [],
  // The teardown starts on the first change; the next child starts once no change came for this long. Above
  // chokidar's 50 ms per-file event throttle (so a burst of writes to one file stays one burst), and mostly hidden
  // behind the teardown, which takes about as long.
  debounce: 75,
  stopTimeout: 5000,
  killGrace: 1000,
  readyTimeout: 1000,
  signal: 'SIGTERM',
  logFormat: 'human',
  logLevel: 'info',
  restartable: 'rs',
} as const satisfies Partial<Config>;

/** One source of options: where it came from (for messages) and how its keys are spelled there. */
export interface Layer {
  source: string;
  values: Record<string, unknown>;
  /** Directory that relative paths in this layer are relative to. */
  base: string;
  /** How a key is named to the person (e.g. `stopTimeout` in a config file, `--stop-timeout` on the command line). */
  spell?: (key: string) => string;
}

export const CONFIG_KEYS = [
  'entry', 'args', 'nodeArgs', 'cwd', 'env', 'watch', 'ignore', 'debounce', 'stopTimeout', 'killGrace',
  'readyTimeout', 'signal', 'logFormat', 'logLevel', 'restartable',
] as const satisfies readonly (keyof Config)[];
type Key = (typeof CONFIG_KEYS)[number];

const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
};

type Check = (value: unknown) => string | undefined; // undefined when valid, else what was expected

const milliseconds: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a non-negative number of milliseconds';
const text: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string');
const texts: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'an array of strings';
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `one of ${allowed.map((a) => `"${a}"`).join(', ')}`;

const CHECKS: Record<Key, Check> = {
  entry: text,
  args: texts,
  nodeArgs: texts,
  cwd: text,
  env: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
      ? undefined
      : 'an object of string values',
  watch: (v) => (texts(v) === undefined && (v as string[]).length > 0 ? undefined : 'a non-empty array of paths'),
  ignore: texts,
  debounce: milliseconds,
  stopTimeout: milliseconds,
  killGrace: milliseconds,
  readyTimeout: milliseconds,
  signal: (v) =>
    typeof v === 'string' && v in constants.signals && v !== 'SIGKILL' && v !== 'SIGSTOP'
      ? undefined
      : 'a signal name such as "SIGTERM" or "SIGINT"',
  logFormat: oneOf('human', 'json'),
  logLevel: oneOf('debug', 'info', 'warn', 'error', 'silent'),
  restartable: (v) => (v === false || (typeof v === 'string' && v !== '') ? undefined : 'a non-empty string or false'),
};

/** Merges the layers (later wins), validates every value once, and returns frozen options. */
export function normalize(layers: Layer[], fallbackCwd: string = process.cwd()): Options {
  const merged: Record<string, unknown> = { ...defaults };
  const bases: Partial<Record<Key, string>> = {};
  for (const layer of layers) {
    const spell = layer.spell ?? ((key: string) => key);
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
        const guess = didYouMean(key, CONFIG_KEYS);
        throw new DevsupError('CONFIG_UNKNOWN_KEY', `${layer.source}: unknown option ${spell(key)}`, {
          hint: guess ? `did you mean ${spell(guess)}?` : `known options: ${CONFIG_KEYS.join(', ')}`,
        });
      }
      const expected = CHECKS[key as Key](value);
      if (expected) {
        throw new DevsupError('CONFIG_INVALID', `${layer.source}: ${spell(key)} must be ${expected}, got ${show(value)}`);
      }
      merged[key] = value;
      bases[key as Key] = layer.base;
    }
  }
  const cwd = resolve(bases.cwd ?? fallbackCwd, (merged.cwd as string | undefined) ?? '.');
  const fromBase = (key: Key, p: string) => resolve(bases[key] ?? cwd, p);
  const options: Options = {
    entry: typeof merged.entry === 'string' ? fromBase('entry', merged.entry) : undefined,
    args: Object.freeze([...(merged.args as string[])]),
    nodeArgs: Object.freeze([...(merged.nodeArgs as string[])]),
    cwd,
    env: Object.freeze({ ...(merged.env as Record<string, string>) }),
    watch: Object.freeze((merged.watch as string[]).map((p) => fromBase('watch', p))),
    ignore: Object.freeze([...(merged.ignore as string[])]),
    debounce: merged.debounce as number,
    stopTimeout: merged.stopTimeout as number,
    killGrace: merged.killGrace as number,
    readyTimeout: merged.readyTimeout as number,
    signal: merged.signal as NodeJS.Signals,
    logFormat: merged.logFormat as LogFormat,
    logLevel: merged.logLevel as LogLevel,
    restartable: merged.restartable as string | false,
  };
  return Object.freeze(options);
}

export const CONFIG_FILES = [
  'supervisor.config.ts',
  'supervisor.config.mts',
  'supervisor.config.js',
  'supervisor.config.mjs',
] as const;

export function findConfigFile(dir: string): string | undefined {
  return CONFIG_FILES.map((name) => join(dir, name)).find((file) => existsSync(file));
}

/** Loads a config file (TypeScript through tsx, no build step). Its default export is the config. */
export async function loadConfigFile(file: string): Promise<Layer> {
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path)) {
    throw new DevsupError('CONFIG_NOT_FOUND', `config file not found: ${path}`, {
      hint: 'check the --config path',
    });
  }
  let loaded: { default?: unknown };
  try {
    if (/\.[mc]?ts$/.test(path)) {
      // Loaded lazily: runs without a config file, or with a .js one, never pay for the TypeScript loader.
      const { tsImport } = await import('tsx/esm/api');
      loaded = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
    } else {
      loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
    }
  } catch (error) {
    const where = locate(error, path);
    throw new DevsupError('CONFIG_LOAD_FAILED', `${where}: ${firstLine(error)}`, {
      hint: 'fix the config file; devsup reads it once at start',
      cause: error,
    });
  }
  const config = (loaded.default as { default?: unknown } | undefined)?.default ?? loaded.default;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new DevsupError('CONFIG_INVALID', `${path}: the default export must be a config object, got ${show(config)}`, {
      hint: 'export default defineConfig({ entry: "src/server.ts" })',
    });
  }
  return { source: relativeName(path), values: config as Record<string, unknown>, base: dirname(path) };
}

function relativeName(path: string): string {
  const rel = path.startsWith(process.cwd()) ? path.slice(process.cwd().length + 1) : path;
  return rel || path;
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
