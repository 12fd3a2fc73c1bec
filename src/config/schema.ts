// The options' shape: what a person writes (Config), what the supervisor reads (Options), and the defaults.
import type { Hooks } from '../core/events.js';

export type OnCrash = 'wait' | 'restart' | 'exit';
export type LogFormat = 'human' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

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
   * Run this command instead of node, with the entry (if any) appended: "python -u app.py" (split into words as a
   * shell would: quotes and backslashes) or an array of arguments. A string with shell syntax (`&&`, `|`, `;`, `>`,
   * `$VAR`, a glob, `VAR=x cmd`) runs through the shell, as nodemon runs every exec; otherwise no shell unless `shell`.
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
   * For `exec`, which reports no module graph, the default is the whole project. `false` (the API): no watcher at
   * all; the embedder says what changed with `supervisor.notify(paths)`, or restarts with `restart()`.
   */
  watch?: string[] | false;
  /** Watch everything under the project (minus the ignores), as nodemon does, not only what the app loads. */
  watchAll?: boolean;
  /** Globs or names never to watch, on top of the built-in ones (node_modules, .git, dist, …). */
  ignore?: string[];
  /** Only changes to files with these extensions restart (e.g. ["ts", "json"] or "ts,json"); empty: any file. */
  ext?: string[] | string;
  /** Quiet period in ms: the next child starts once no change has come for this long (nodemon's delay). */
  quietPeriod?: number;
  /** @deprecated named quietPeriod now. */
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
  /**
   * Boot the next app's process ahead (node, its flags, the preload, tsx's loader; nothing of the app), so that a
   * restart does not wait for the boot: `'warm'` (the default, `true`) keeps one booted beside the running app, ready
   * for the next restart; `'on-change'` boots it when a restart begins, behind the old app's teardown; `false` never.
   * Node entries only.
   */
  standby?: boolean | 'warm' | 'on-change';
  /** The signal that asks an app to stop when it does not speak the IPC protocol, and the second rung of the ladder. */
  signal?: NodeJS.Signals;
  /** When the app crashes: wait for a change (default), restart it with backoff, or exit with its code. */
  onCrash?: OnCrash;
  /**
   * Listening sockets devsup binds once and hands to every generation of the app (systemd socket activation: fds from
   * 3, LISTEN_FDS), so that no connection is refused while it restarts: ports (3000) or "host:port" strings
   * ("127.0.0.1:3000", "[::1]:3000"). A Node app's own `listen(3000)` takes the held socket. Not on Windows.
   */
  sockets?: (number | string)[];
  /** Clear the terminal before each restart. */
  clearScreen?: boolean;
  logFormat?: LogFormat;
  logLevel?: LogLevel;
  /** Write every lifecycle event as a JSON line to this file, or to this file descriptor (a number). */
  events?: string | number;
  /** The line typed on stdin that restarts the app ("rs", as in nodemon), or false to leave stdin alone. */
  restartable?: string | false;
  /**
   * Functions run in devsup at each step, named as the events: started, ready, restarting, crashed, exited (the
   * first names start, restart, crash, exit still work, with a deprecation warning).
   */
  hooks?: Hooks;
  /**
   * Run before each start, once the old app's tree is gone: a command line (through the shell) or, in the API, a
   * function (async or not). If it fails (a non-zero exit, or the function throws), its output is shown, no app is
   * started, and the next change (or rs) tries again.
   */
  build?: string | (() => unknown);
  /**
   * Where the app's stdout and stderr go: 'inherit' (default) devsup's own; 'pipe': the API hands them over as
   * streams (`supervisor.stdout`, `supervisor.stderr`), which the caller must read.
   */
  stdio?: 'inherit' | 'pipe';
  /**
   * Several services under one devsup, by name; the other top-level keys are every service's defaults. `devsup run`
   * runs them all (`--only <name>`: that one and what it depends on). See "Several services" in the README.
   */
  services?: Record<string, ServiceConfig>;
}

/** One service of `services`: a config of its own (over the top-level keys), and the services it needs. */
export interface ServiceConfig extends Omit<Config, 'services'> {
  /** Started after these are ready, stopped before them. */
  dependsOn?: string[];
  /** A restart of this service restarts the services that depend on it too (after them, in order); default true. */
  restartDependents?: boolean;
}

/** One socket to hold: a TCP port, and the host to bind (undefined: what Node's listen(port) binds, :: or 0.0.0.0). */
export interface SocketSpec {
  readonly host: string | undefined;
  readonly port: number;
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
  /** Whether devsup watches files itself (Config.watch false: no). */
  readonly watcher: boolean;
  readonly watchAll: boolean;
  readonly ignore: readonly string[];
  readonly ext: readonly string[];
  readonly quietPeriod: number;
  readonly poll: number | false;
  readonly stopTimeout: number;
  readonly killGrace: number;
  readonly maxStopTimeout: number;
  readonly readyTimeout: number;
  readonly standby: 'warm' | 'on-change' | false;
  readonly signal: NodeJS.Signals;
  readonly onCrash: OnCrash;
  /** The sockets to hold, in order: the first is fd 3. */
  readonly sockets: readonly SocketSpec[];
  readonly clearScreen: boolean;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly events: string | number | undefined;
  readonly restartable: string | false;
  readonly build: string | (() => unknown) | undefined;
  readonly stdio: 'inherit' | 'pipe';
  /** Keyed by the first names (start, ready, restart, crash, exit), whichever names the config used. */
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
  quietPeriod: 20,
  poll: false,
  stopTimeout: 5000,
  killGrace: 1000,
  maxStopTimeout: 30_000,
  readyTimeout: 1000,
  standby: 'warm',
  signal: 'SIGTERM',
  onCrash: 'wait',
  sockets: [],
  clearScreen: false,
  logFormat: 'human',
  logLevel: 'info',
  restartable: 'rs',
  hooks: {},
  stdio: 'inherit',
} as const satisfies Partial<Config>;

export const CONFIG_KEYS = [
  'entry', 'args', 'nodeArgs', 'python', 'exec', 'shell', 'cwd', 'env', 'envFile', 'watch', 'watchAll', 'ignore', 'ext',
  'quietPeriod', 'debounce',
  'poll', 'stopTimeout', 'killGrace', 'maxStopTimeout', 'readyTimeout', 'standby', 'signal', 'onCrash', 'sockets', 'clearScreen',
  'logFormat', 'logLevel', 'events', 'restartable', 'hooks', 'build', 'stdio',
] as const satisfies readonly (keyof Config)[];
export type ConfigKey = (typeof CONFIG_KEYS)[number];
