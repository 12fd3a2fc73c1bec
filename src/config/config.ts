// The one options model: defaults < config file < command line (or the API's options), validated once, then frozen.
import { accessSync, constants as constants_fs, existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DevsupError, didYouMean } from '../core/errors.js';
import type { LogFormat, LogLevel } from '../supervisor/logger.js';
import { splitCommand } from '../process/spawn.js';

/** Functions run in the supervisor (not in the app) at each step of the lifecycle. Errors are logged, never fatal. */
export interface Hooks {
  start?: (event: { runId: number; pid: number | undefined }) => unknown;
  ready?: (event: { runId: number; pid: number | undefined; ms: number; via: 'message' | 'timeout' }) => unknown;
  restart?: (event: { runId: number; trigger: { reason: string; paths: string[] } }) => unknown;
  crash?: (report: TeardownReportLike) => unknown;
  exit?: (report: TeardownReportLike) => unknown;
}
/** The teardown report (see TeardownReport in supervisor.ts), kept structural here to avoid an import cycle. */
export interface TeardownReportLike {
  runId: number;
  exit: { code: number | null; signal: string | null };
  [key: string]: unknown;
}

export type OnCrash = 'wait' | 'restart' | 'exit';

/** What a person writes in supervisor.config.ts (or passes to createSupervisor). Every key is optional. */
export interface Config {
  /** The app's entry file (.ts/.mts/.cts/.js/.mjs/.cjs, or .py: run with `python`). */
  entry?: string;
  /** Arguments for the app. */
  args?: string[];
  /** Arguments for node itself, e.g. ['--inspect', '--enable-source-maps']. */
  nodeArgs?: string[];
  /** The Python interpreter for a .py entry: a name looked up on the PATH, or a path (e.g. ".venv/bin/python"). */
  python?: string;
  /**
   * Run this command instead of node, with the entry (if any) appended: "python -u app.py" (split on spaces; a
   * backslash escapes one) or an array of arguments. No shell unless `shell`.
   */
  exec?: string | string[];
  /** Run `exec` through the system shell (pipes, globs, `&&`). */
  shell?: boolean;
  /** The app's working directory, and the root that relative paths are resolved against. */
  cwd?: string;
  /** Variables set for the app, over devsup's own environment and envFile. */
  env?: Record<string, string>;
  /** A .env file read before each start; the environment devsup runs in wins over it, `env` over both. */
  envFile?: string;
  /**
   * Files, folders and globs to watch on top of the files the app loads (its module graph) and .env*, package.json,
   * tsconfig.json. Folders and globs skip what the ignores and .gitignore skip; a file named here is always watched.
   * For `exec`, which reports no module graph, the default is the whole project.
   */
  watch?: string[];
  /** Watch everything under the project (minus the ignores), as nodemon does, not only what the app loads. */
  watchAll?: boolean;
  /** Globs or names never to watch, on top of the built-in ones (node_modules, .git, dist, …). */
  ignore?: string[];
  /** Only changes to files with these extensions restart (e.g. ["ts", "json"] or "ts,json"); empty: any file. */
  ext?: string[] | string;
  /** Quiet period in ms: the next child starts once no change has come for this long. */
  debounce?: number;
  /** Poll the file system (ms between looks, or true for 100 ms) where events do not arrive: network drives, some containers. */
  poll?: number | boolean;
  /** How long the app's cleanups may take, in ms, before devsup sends `signal`. */
  stopTimeout?: number;
  /** How long after `signal` devsup waits, in ms, before it SIGKILLs the app's process tree. */
  killGrace?: number;
  /** The longest a stop may take, in ms from the request, when the app asks for more time with extendDeadline(). */
  maxStopTimeout?: number;
  /** An app that never calls ready() counts as ready after this many ms. */
  readyTimeout?: number;
  /** The signal that asks an app to stop when it does not speak the IPC protocol, and the second rung of the ladder. */
  signal?: NodeJS.Signals;
  /** When the app crashes: wait for a change (default), restart it with backoff, or exit with its code. */
  onCrash?: OnCrash;
  /** Clear the terminal before each restart. */
  clearScreen?: boolean;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
  /** Write every lifecycle event as a JSON line to this file, or to this file descriptor (a number). */
  events?: string | number;
  /** The line typed on stdin that restarts the app ("rs", as in nodemon), or false to leave stdin alone. */
  restartable?: string | false;
  hooks?: Hooks;
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
  readonly python: string;
  readonly exec: readonly string[] | undefined;
  readonly shell: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly envFile: string | undefined;
  readonly watch: readonly string[];
  readonly watchAll: boolean;
  readonly ignore: readonly string[];
  readonly ext: readonly string[];
  readonly debounce: number;
  readonly poll: number | false;
  readonly stopTimeout: number;
  readonly killGrace: number;
  readonly maxStopTimeout: number;
  readonly readyTimeout: number;
  readonly signal: NodeJS.Signals;
  readonly onCrash: OnCrash;
  readonly clearScreen: boolean;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly events: string | number | undefined;
  readonly restartable: string | false;
  readonly hooks: Readonly<Hooks>;
}

export const defaults = {
  args: [],
  nodeArgs: [],
  python: 'python3',
  shell: false,
  env: {},
  watch: [],
  watchAll: false,
  ignore: [],
  ext: [],
  // The teardown starts on the first change; the next child starts once no change came for this long. Above
  // chokidar's 50 ms per-file event throttle (so a burst of writes to one file stays one burst), and mostly hidden
  // behind the teardown, which takes about as long.
  debounce: 75,
  poll: false,
  stopTimeout: 5000,
  killGrace: 1000,
  maxStopTimeout: 30_000,
  readyTimeout: 1000,
  signal: 'SIGTERM',
  onCrash: 'wait',
  clearScreen: false,
  logFormat: 'human',
  logLevel: 'info',
  restartable: 'rs',
  hooks: {},
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
  'entry', 'args', 'nodeArgs', 'python', 'exec', 'shell', 'cwd', 'env', 'envFile', 'watch', 'watchAll', 'ignore', 'ext',
  'debounce',
  'poll', 'stopTimeout', 'killGrace', 'maxStopTimeout', 'readyTimeout', 'signal', 'onCrash', 'clearScreen',
  'logFormat', 'logLevel', 'events', 'restartable', 'hooks',
] as const satisfies readonly (keyof Config)[];
type Key = (typeof CONFIG_KEYS)[number];
const HOOKS = ['start', 'ready', 'restart', 'crash', 'exit'] as const;

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
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `one of ${allowed.map((a) => `"${a}"`).join(', ')}`;

const CHECKS: Record<Key, Check> = {
  entry: text,
  args: texts,
  nodeArgs: texts,
  python: text,
  exec: (v) => (text(v) === undefined || (texts(v) === undefined && (v as string[]).length > 0) ? undefined : 'a command line or a non-empty array of strings'),
  shell: boolean,
  cwd: text,
  env: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
      ? undefined
      : 'an object of string values',
  envFile: text,
  watch: (v) => (texts(v) === undefined ? undefined : 'an array of paths or globs'),
  watchAll: boolean,
  ignore: texts,
  ext: (v) => (typeof v === 'string' || texts(v) === undefined ? undefined : 'extensions such as ["ts", "json"] or "ts,json"'),
  debounce: milliseconds,
  poll: (v) => (typeof v === 'boolean' || milliseconds(v) === undefined ? undefined : 'true, false or an interval in milliseconds'),
  stopTimeout: milliseconds,
  killGrace: milliseconds,
  maxStopTimeout: milliseconds,
  readyTimeout: milliseconds,
  signal: (v) =>
    typeof v === 'string' && v in constants.signals && v !== 'SIGKILL' && v !== 'SIGSTOP'
      ? undefined
      : 'a signal name such as "SIGTERM" or "SIGINT"',
  onCrash: oneOf('wait', 'restart', 'exit'),
  clearScreen: boolean,
  logFormat: oneOf('human', 'json'),
  logLevel: oneOf('debug', 'info', 'warn', 'error', 'silent'),
  events: (v) => (text(v) === undefined || (Number.isInteger(v) && (v as number) >= 0) ? undefined : 'a file path or a file descriptor number'),
  restartable: (v) => (v === false || (typeof v === 'string' && v !== '') ? undefined : 'a non-empty string or false'),
  hooks: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Object.entries(v).every(([k, f]) => (HOOKS as readonly string[]).includes(k) && typeof f === 'function')
      ? undefined
      : `an object of functions named ${HOOKS.join(', ')}`,
};

const toExtensions = (value: string[] | string): string[] =>
  (typeof value === 'string' ? value.split(',') : value).map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean);

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
  const exec = merged.exec as string | string[] | undefined;
  const poll = merged.poll as number | boolean;
  const options: Options = {
    entry: typeof merged.entry === 'string' ? fromBase('entry', merged.entry) : undefined,
    args: Object.freeze([...(merged.args as string[])]),
    nodeArgs: Object.freeze([...(merged.nodeArgs as string[])]),
    // A path (it has a slash) is relative to where it was written; a bare name is looked up on the PATH.
    python: /[\\/]/.test(merged.python as string) ? fromBase('python', merged.python as string) : (merged.python as string),
    exec: exec === undefined ? undefined : Object.freeze(typeof exec === 'string' ? splitCommand(exec) : [...exec]),
    shell: merged.shell as boolean,
    cwd,
    env: Object.freeze({ ...(merged.env as Record<string, string>) }),
    envFile: typeof merged.envFile === 'string' ? fromBase('envFile', merged.envFile) : undefined,
    watch: Object.freeze((merged.watch as string[]).map((p) => fromBase('watch', p))),
    watchAll: merged.watchAll as boolean,
    ignore: Object.freeze([...(merged.ignore as string[])]),
    ext: Object.freeze(toExtensions(merged.ext as string[] | string)),
    debounce: merged.debounce as number,
    poll: poll === true ? 100 : poll === false ? false : poll,
    stopTimeout: merged.stopTimeout as number,
    killGrace: merged.killGrace as number,
    maxStopTimeout: merged.maxStopTimeout as number,
    readyTimeout: merged.readyTimeout as number,
    signal: merged.signal as NodeJS.Signals,
    onCrash: merged.onCrash as OnCrash,
    clearScreen: merged.clearScreen as boolean,
    logFormat: merged.logFormat as LogFormat,
    logLevel: merged.logLevel as LogLevel,
    events: typeof merged.events === 'string' ? fromBase('events', merged.events) : (merged.events as number | undefined),
    restartable: merged.restartable as string | false,
    hooks: Object.freeze({ ...(merged.hooks as Hooks) }),
  };
  return Object.freeze(options);
}

export const CONFIG_FILES = [
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
