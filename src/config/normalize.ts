// The options model: defaults < config file < command line (or the API's options), validated once, then frozen.
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { DevsupError, didYouMean } from '../core/errors.js';
import { EVENT_HOOKS, HOOK_EVENTS, type HookName } from '../core/events.js';
import { parseCommand } from './command.js';
import { CONFIG_KEYS, defaults, type Config, type ConfigKey, type Options, type SocketSpec } from './schema.js';

/** One source of options: where it came from (for messages) and how its keys are spelled there. */
export interface Layer {
  source: string;
  values: Record<string, unknown>;
  /** Directory that relative paths in this layer are relative to. */
  base: string;
  /** How a key is named to the person (e.g. `stopTimeout` in a config file, `--stop-timeout` on the command line). */
  spell?: (key: string) => string;
}

const isKey = (key: string): key is ConfigKey => (CONFIG_KEYS as readonly string[]).includes(key);
const HOOKS: string[] = [...EVENT_HOOKS];
const OLD_HOOKS = Object.keys(HOOK_EVENTS).filter((name) => name !== 'ready');
// A hook's first name → the event name it has now.
const RENAMED_HOOKS = HOOK_EVENTS as Readonly<Record<string, string>>;
// The event name → the key Options.hooks has (the first name: what the supervisor reads).
const OPTION_HOOK = Object.fromEntries(Object.entries(HOOK_EVENTS).map(([name, event]) => [event, name])) as Record<string, HookName>;

/** A value as a message names it: strings quoted, anything else by its kind. */
export const show = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
};

type Check = (value: unknown) => string | undefined; // undefined when valid, else what was expected

/** The longest delay a Node timer takes (2^31 - 1 ms, ~24.8 days): past it Node warns and fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

const milliseconds: Check = (v) => {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) return 'a non-negative number of milliseconds';
  return v <= MAX_TIMER_MS ? undefined : `at most ${MAX_TIMER_MS} milliseconds (~24.8 days: Node's longest timer)`;
};
const text: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string');
const texts: Check = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'an array of strings';
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? undefined : `one of ${allowed.map((a) => `"${a}"`).join(', ')}`;

const CHECKS: Record<ConfigKey, Check> = {
  entry: text,
  args: texts,
  nodeArgs: texts,
  python: text,
  exec: (v) => (text(v) === undefined || (texts(v) === undefined && Array.isArray(v) && v.length > 0) ? undefined : 'a command line or a non-empty array of strings'),
  shell: boolean,
  cwd: text,
  env: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
      ? undefined
      : 'an object of string values',
  envFile: text,
  watch: (v) => (v === false || texts(v) === undefined ? undefined : 'an array of paths or globs, or false'),
  watchAll: boolean,
  ignore: texts,
  ext: (v) => (typeof v === 'string' || texts(v) === undefined ? undefined : 'extensions such as ["ts", "json"] or "ts,json"'),
  quietPeriod: milliseconds,
  debounce: milliseconds,
  poll: (v) => (typeof v === 'boolean' || milliseconds(v) === undefined ? undefined : 'true, false or an interval in milliseconds'),
  stopTimeout: milliseconds,
  killGrace: milliseconds,
  maxStopTimeout: milliseconds,
  readyTimeout: milliseconds,
  standby: (v) => (typeof v === 'boolean' || v === 'warm' || v === 'on-change' ? undefined : 'true, false, "warm" or "on-change"'),
  signal: (v) =>
    typeof v === 'string' && v in constants.signals && v !== 'SIGKILL' && v !== 'SIGSTOP'
      ? undefined
      : 'a signal name such as "SIGTERM" or "SIGINT"',
  onCrash: oneOf('wait', 'restart', 'exit'),
  sockets: (v) =>
    Array.isArray(v) && v.every((s) => parseSocket(s) !== undefined)
      ? undefined
      : 'an array of ports (3000) or "host:port" strings ("127.0.0.1:3000", "[::1]:3000")',
  clearScreen: boolean,
  logFormat: oneOf('human', 'json'),
  logLevel: oneOf('debug', 'info', 'warn', 'error', 'silent'),
  events: (v) => (text(v) === undefined || (typeof v === 'number' && Number.isInteger(v) && v >= 0) ? undefined : 'a file path or a file descriptor number'),
  restartable: (v) => (v === false || (typeof v === 'string' && v !== '') ? undefined : 'a non-empty string or false'),
  hooks: (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) &&
    Object.entries(v).every(([k, f]) => (HOOKS.includes(k) || OLD_HOOKS.includes(k)) && typeof f === 'function')
      ? undefined
      : `an object of functions named ${HOOKS.join(', ')}`,
  build: (v) => (text(v) === undefined || typeof v === 'function' ? undefined : 'a command line or a function'),
  stdio: oneOf('inherit', 'pipe'),
};

/** A port (3000, "3000") or "host:port" ("127.0.0.1:3000", "[::1]:3000", "localhost:3000"); undefined if neither. */
export function parseSocket(value: unknown): SocketSpec | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:\s[\]]+):)?(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: match[1] ?? match[2], port };
}

// The merged values' types: a default fills in every key that has one.
type Merged = Config & Required<Pick<Config, keyof typeof defaults>>;

const toExtensions = (value: string[] | string): string[] =>
  (typeof value === 'string' ? value.split(',') : value).map((e) => e.trim().replace(/^\./, '').toLowerCase()).filter(Boolean);

// A deprecation, by default as Node reports them (the CLI passes its logger's warn).
const emitDeprecation = (line: string) => process.emitWarning(line, 'DeprecationWarning');

/**
 * Merges the layers (later wins), validates every value once, and returns frozen options. Deprecated spellings
 * (debounce, the hooks start/restart/crash/exit) are taken, each with one line to `deprecated`.
 */
export function normalize(layers: Layer[], fallbackCwd: string = process.cwd(), deprecated: (line: string) => void = emitDeprecation): Options {
  const merged: Record<string, unknown> = { ...defaults };
  const bases: Partial<Record<ConfigKey, string>> = {};
  for (const layer of layers) {
    const spell = layer.spell ?? ((key: string) => key);
    const entries = Object.entries(layer.values);
    for (let [key, value] of entries) {
      if (key === 'debounce' && value !== undefined) {
        deprecated(`${layer.source}: ${spell('debounce')} is deprecated: it is ${spell('quietPeriod')} now (the same milliseconds)`);
        // Given both, the new name wins.
        if (layer.values.quietPeriod !== undefined) continue;
        key = 'quietPeriod';
      }
      if (value === undefined) continue;
      if (!isKey(key)) {
        const guess = didYouMean(key, CONFIG_KEYS);
        throw new DevsupError('CONFIG_UNKNOWN_KEY', `${layer.source}: unknown option ${spell(key)}`, {
          hint: guess ? `did you mean ${spell(guess)}?` : `known options: ${CONFIG_KEYS.join(', ')}`,
        });
      }
      const expected = CHECKS[key](value);
      if (expected) {
        throw new DevsupError('CONFIG_INVALID', `${layer.source}: ${spell(key)} must be ${expected}, got ${show(value)}`);
      }
      if (key === 'hooks') value = hooksByFirstName(value as Record<string, unknown>, layer.source, deprecated);
      merged[key] = value;
      bases[key] = layer.base;
    }
  }
  // Every value has passed its check: each key holds its Config type, and those with a default are present.
  const get = <K extends ConfigKey>(key: K) => merged[key] as Merged[K];
  const cwd = resolve(bases.cwd ?? fallbackCwd, get('cwd') ?? '.');
  const fromBase = (key: ConfigKey, p: string) => resolve(bases[key] ?? cwd, p);
  const python = get('python');
  const exec = get('exec');
  const poll = get('poll');
  // A command line with shell syntax (`node --version && node a.js`, a pipe, `$VAR`) runs through the shell, whole, as
  // under nodemon; so does any command line when `shell` is set. Otherwise it is split as a shell would and run without one.
  const parsed = typeof exec === 'string' ? parseCommand(exec) : undefined;
  const shell = get('shell') || parsed?.shell !== undefined;
  const options: Options = {
    entry: typeof merged.entry === 'string' ? fromBase('entry', merged.entry) : undefined,
    args: Object.freeze([...get('args')]),
    nodeArgs: Object.freeze([...get('nodeArgs')]),
    // A path (it has a slash) is relative to where it was written; a bare name is looked up on the PATH.
    python: /[\\/]/.test(python) ? fromBase('python', python) : python,
    exec: exec === undefined ? undefined : Object.freeze(typeof exec === 'string' ? (shell ? [exec.trim()] : parsed!.words) : [...exec]),
    shell,
    cwd,
    env: Object.freeze({ ...get('env') }),
    envFile: typeof merged.envFile === 'string' ? fromBase('envFile', merged.envFile) : undefined,
    watch: Object.freeze((get('watch') || []).map((p) => fromBase('watch', p))),
    watcher: get('watch') !== false,
    watchAll: get('watchAll'),
    ignore: Object.freeze([...get('ignore')]),
    ext: Object.freeze(toExtensions(get('ext'))),
    quietPeriod: get('quietPeriod'),
    poll: poll === true ? 100 : poll === false ? false : poll,
    stopTimeout: get('stopTimeout'),
    killGrace: get('killGrace'),
    maxStopTimeout: get('maxStopTimeout'),
    readyTimeout: get('readyTimeout'),
    standby: ((v) => (v === true ? 'warm' : v))(get('standby') as boolean | 'warm' | 'on-change'),
    signal: get('signal'),
    onCrash: get('onCrash'),
    sockets: Object.freeze(uniqueSockets(get('sockets'))),
    clearScreen: get('clearScreen'),
    logFormat: get('logFormat'),
    logLevel: get('logLevel'),
    events: typeof merged.events === 'string' ? fromBase('events', merged.events) : get('events'),
    restartable: get('restartable'),
    hooks: Object.freeze({ ...get('hooks') }),
    build: get('build'),
    stdio: get('stdio'),
  };
  return Object.freeze(options);
}

// Each socket once: `--socket 3000 --socket 3000` holds one.
function uniqueSockets(values: readonly (number | string)[]): SocketSpec[] {
  const out: SocketSpec[] = [];
  for (const spec of values.map((v) => parseSocket(v)!)) {
    if (!out.some((s) => s.port === spec.port && s.host === spec.host)) out.push(Object.freeze(spec));
  }
  return out;
}

// Options.hooks is keyed by the hooks' first names, which the supervisor reads; the config may use either name.
function hooksByFirstName(hooks: Record<string, unknown>, source: string, deprecated: (line: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, hook] of Object.entries(hooks)) {
    const event = RENAMED_HOOKS[name] ?? name;
    if (event !== name) deprecated(`${source}: hook ${name} is deprecated: it is ${event} now (named as the event it runs on)`);
    const key = OPTION_HOOK[event]!;
    if (key in out) {
      throw new DevsupError('CONFIG_INVALID', `${source}: hooks ${name} and ${event === name ? Object.keys(HOOK_EVENTS).find((k) => RENAMED_HOOKS[k] === event) : event} are the same hook`, {
        hint: `keep ${event}`,
      });
    }
    out[key] = hook;
  }
  return out;
}
