// The command line, parsed into one options layer (the same keys as supervisor.config.ts). Pure: no I/O.
// nodemon's flags are accepted with nodemon's meaning: -w/--watch, -e/--ext, -i/--ignore, -x/--exec, -d/--delay,
// -s/--signal, -L/--legacy-watch, -P/--polling-interval, --exitcrash, -I/--no-stdin, -q/--quiet, -V/--verbose,
// -v/--version, --config, and `--` for the app's arguments; --spawn and -C/--on-change-only are accepted with a note.
// node's own common flags (--inspect, -r, --import, --env-file, …) go straight to node, as under nodemon and tsx.
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import { parseDelay } from '../config/duration.js';
import { DevsupError, didYouMean } from '../core/errors.js';

const OPTIONS = {
  config: { type: 'string' },
  'stop-timeout': { type: 'string' },
  'kill-grace': { type: 'string' },
  'max-stop-timeout': { type: 'string' },
  'ready-timeout': { type: 'string' },
  'quiet-period': { type: 'string' },
  standby: { type: 'string' },
  'no-standby': { type: 'boolean' },
  debounce: { type: 'string' },
  delay: { type: 'string', short: 'd' },
  signal: { type: 'string', short: 's' },
  watch: { type: 'string', multiple: true, short: 'w' },
  'watch-all': { type: 'boolean' },
  ignore: { type: 'string', multiple: true, short: 'i' },
  ext: { type: 'string', multiple: true, short: 'e' },
  exec: { type: 'string', short: 'x' },
  shell: { type: 'boolean' },
  'node-arg': { type: 'string', multiple: true },
  python: { type: 'string' },
  dotenv: { type: 'string' },
  'on-crash': { type: 'string' },
  socket: { type: 'string', multiple: true },
  poll: { type: 'string' },
  'legacy-watch': { type: 'boolean', short: 'L' },
  'polling-interval': { type: 'string', short: 'P' },
  exitcrash: { type: 'boolean' },
  'no-stdin': { type: 'boolean', short: 'I' },
  spawn: { type: 'boolean' },
  'on-change-only': { type: 'boolean', short: 'C' },
  clear: { type: 'boolean' },
  'log-format': { type: 'string' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  events: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'V' },
  only: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsConfig['options'];

export interface ParsedArgs {
  command: 'run' | 'help' | 'version';
  /** Option values by config key; undefined where the flag was not given. */
  values: Record<string, unknown>;
  configFile: string | undefined;
  /** One line each for flags accepted but not needed, or not acted on (nodemon's --spawn, --on-change-only). */
  notes: string[];
  /** --color / --no-color (the last given wins); undefined: NO_COLOR, FORCE_COLOR, the terminal decide. */
  color?: boolean;
  /** --only: the services to run (with what they depend on); empty: all. */
  only?: string[];
}

export const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const numeric = (value: string | undefined) =>
  value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

type OptionName = keyof typeof OPTIONS;
/** How an option is named in messages: `-w/--watch`, or `--stop-timeout`. */
function optionName(name: OptionName): string {
  const short = (OPTIONS[name] as { short?: string }).short;
  return short ? `-${short}/--${name}` : `--${name}`;
}
/** The option a flag as typed (`-w`, `--watch`, `--watch=x`) stands for. */
function optionOf(flag: string): OptionName | undefined {
  const bare = flag.replace(/=.*$/, '');
  if (bare.startsWith('--')) return bare.slice(2) in OPTIONS ? (bare.slice(2) as OptionName) : undefined;
  return (Object.keys(OPTIONS) as OptionName[]).find((name) => (OPTIONS[name] as { short?: string }).short === bare.slice(1));
}

// `--poll` takes an optional interval, which parseArgs cannot express: `--poll` alone means `--poll=true`.
function expandPoll(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--poll') out.push(argv[i]!);
    else if (/^\d+$/.test(argv[i + 1] ?? '')) out.push(`--poll=${argv[++i]}`);
    else out.push('--poll=true');
  }
  return out;
}

// node's own flags, passed straight to node (nodeArgs) as nodemon, tsx and node itself take them. These take a value,
// attached (--require=x) or as the next word (-r x):
const NODE_FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--env-file', '--env-file-if-exists', '--conditions', '--loader', '--experimental-loader']);
// and these stand alone (an optional value is attached: --inspect=9230):
const NODE_FLAG = /^--(inspect|inspect-brk|inspect-wait)(=\S+)?$|^--(enable-source-maps|experimental-strip-types|no-warnings|trace-warnings|trace-uncaught|expose-gc|preserve-symlinks|throw-deprecation)$|^--(max-old-space-size|stack-size|max-semi-space-size)=\d+$|^--(require|import|env-file|env-file-if-exists|conditions|loader|experimental-loader)=.+$/;
// devsup's own options that take a value as the next word: that word is never a node flag (--ignore -r is an ignore).
const TAKES_VALUE = new Set(
  (Object.keys(OPTIONS) as OptionName[])
    .filter((name) => OPTIONS[name].type === 'string' && name !== 'poll')
    .flatMap((name) => [`--${name}`, ...((OPTIONS[name] as { short?: string }).short ? [`-${(OPTIONS[name] as { short: string }).short}`] : [])]),
);

/** Takes node's own flags out of devsup's part of the command line, in their order. */
function takeNodeFlags(argv: string[]): { own: string[]; nodeArgs: string[] } {
  const own: string[] = [];
  const nodeArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (TAKES_VALUE.has(arg)) {
      own.push(arg);
      if (i + 1 < argv.length) own.push(argv[++i]!);
    } else if (NODE_FLAG.test(arg)) {
      nodeArgs.push(arg);
    } else if (NODE_FLAGS_WITH_VALUE.has(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-')) {
        throw new DevsupError('USAGE', `node option ${arg} needs a value`, { hint: `e.g. ${arg} ./preload.cjs` });
      }
      nodeArgs.push(arg, value);
      i += 1;
    } else {
      own.push(arg);
    }
  }
  return { own, nodeArgs };
}

const COMMANDS = ['run', 'exec', 'help'];

export function parseArgs(argv: string[]): ParsedArgs {
  const dashDash = argv.indexOf('--');
  const before = dashDash === -1 ? argv : argv.slice(0, dashDash);
  const afterDashDash = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  const taken = takeNodeFlags(before);
  const own = expandPoll(taken.own);
  let parsed;
  try {
    parsed = parseNodeArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    // parseArgs names the flag as typed ('-w, --watch <value>', '--frobnicate', '-z'): the first word, commas off.
    const typed = /'(-[^' ,]*)/.exec(message)?.[1] ?? String(error);
    const flag = typed.replace(/=.*$/, '');
    const option = optionOf(flag);
    if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
      const ambiguous = message.includes('ambiguous');
      const name = optionName(option);
      throw new DevsupError('USAGE', ambiguous ? `option ${name}: a value that starts with "-" must be attached` : `option ${name} needs a value`, {
        hint: ambiguous ? `write --${option}=<value>` : 'see devsup --help',
      });
    }
    const guess = flag.startsWith('--') ? didYouMean(flag.slice(2), Object.keys(OPTIONS)) : undefined;
    throw new DevsupError('USAGE', `unknown option ${flag}`, {
      hint: guess
        ? `did you mean --${guess}?`
        : `an argument for the app goes after --: devsup <entry> -- ${typed}; a flag for node goes through --node-arg=${typed}`,
    });
  }
  const { values: v, positionals } = parsed;
  const none = { values: {}, configFile: undefined, notes: [] };
  if (v.version) return { command: 'version', ...none };
  if (v.help || positionals[0] === 'help') return { command: 'help', ...none };
  let [command, ...rest] = positionals;
  // Bare `devsup` (or options alone) runs the configured entry, as bare `nodemon` does.
  if (command === undefined) [command, rest] = ['run', []];
  // nodemon's habit, `devsup server.js`: a first word that looks like a file means `run` it.
  if (!COMMANDS.includes(command) && /[./\\]/.test(command)) [command, rest] = ['run', positionals];
  if (!COMMANDS.includes(command)) {
    const guess = didYouMean(command, COMMANDS);
    throw new DevsupError('USAGE', `unknown command "${command}"`, { hint: guess ? `did you mean devsup ${guess}?` : 'devsup run <entry>' });
  }

  const notes: string[] = [];
  if (v.spawn) notes.push('--spawn: not needed, devsup always spawns the app as a process of its own (never forks it)');
  if (v['on-change-only']) notes.push('--on-change-only: not supported, devsup starts the app at once (what it watches is what the running app loads)');
  const nodeArgs = [...taken.nodeArgs, ...(v['node-arg'] ?? [])];
  const values: Record<string, unknown> = {
    stopTimeout: numeric(v['stop-timeout']),
    killGrace: numeric(v['kill-grace']),
    maxStopTimeout: numeric(v['max-stop-timeout']),
    readyTimeout: numeric(v['ready-timeout']),
    // nodemon's --delay is the quiet period in seconds (or Nms); --debounce (deprecated, named by normalize) wins over it.
    quietPeriod: numeric(v['quiet-period']) ?? (v.delay === undefined || v.debounce !== undefined ? undefined : parseDelay(v.delay)),
    debounce: numeric(v.debounce),
    standby: v['no-standby'] ? false : v.standby === 'off' ? false : v.standby,
    signal: v.signal,
    watch: v.watch,
    watchAll: v['watch-all'],
    ignore: v.ignore,
    ext: v.ext?.join(','),
    shell: v.shell,
    nodeArgs: nodeArgs.length > 0 ? nodeArgs : undefined,
    python: v.python,
    envFile: v.dotenv,
    onCrash: v['on-crash'] ?? (v.exitcrash ? 'exit' : undefined),
    sockets: v.socket?.map(numeric),
    poll:
      v.poll !== undefined ? (v.poll === 'true' ? true : numeric(v.poll))
      : v['polling-interval'] !== undefined ? numeric(v['polling-interval'])
      : v['legacy-watch'] ? true
      : undefined,
    clearScreen: v.clear,
    logFormat: v['log-format'],
    // A number is a file descriptor (--events 3); anything else a file.
    events: v.events !== undefined && /^\d+$/.test(v.events) ? Number(v.events) : v.events,
    logLevel: v.verbose ? 'debug' : v.quiet ? 'warn' : undefined,
    restartable: v['no-stdin'] ? false : undefined,
  };
  if (command === 'exec') {
    // devsup exec -- cmd args: the command is the app, no entry, no shell.
    const exec = [...rest, ...afterDashDash];
    if (exec.length === 0) throw new DevsupError('USAGE', 'nothing to exec', { hint: 'devsup exec -- python app.py' });
    values.exec = exec;
  } else {
    const [entry, ...appArgs] = rest;
    values.entry = entry;
    values.exec = v.exec;
    const args = [...appArgs, ...afterDashDash];
    values.args = args.length > 0 ? args : undefined;
  }
  const only = (v.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
  const colorFlag = argv.filter((arg) => arg === '--color' || arg === '--no-color').at(-1);
  const color = colorFlag === undefined ? {} : { color: colorFlag === '--color' };
  return { command: 'run', values, configFile: v.config, notes, ...color, ...(only.length > 0 ? { only } : {}) };
}
