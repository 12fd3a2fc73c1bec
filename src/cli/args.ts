// The command line, parsed into one options layer (the same keys as supervisor.config.ts). Pure: no I/O.
// nodemon's flags are accepted with nodemon's meaning: -w/--watch, -e/--ext, -i/--ignore, -x/--exec, --delay,
// --signal, -V/--verbose, -v/--version, and `--` for the app's arguments.
import { parseArgs as parseNodeArgs, type ParseArgsConfig } from 'node:util';
import { parseDelay } from '../config/duration.js';
import { DevsupError, didYouMean } from '../core/errors.js';

export const OPTIONS = {
  config: { type: 'string' },
  'stop-timeout': { type: 'string' },
  'kill-grace': { type: 'string' },
  'max-stop-timeout': { type: 'string' },
  'ready-timeout': { type: 'string' },
  debounce: { type: 'string' },
  delay: { type: 'string' },
  signal: { type: 'string' },
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
  poll: { type: 'string' },
  clear: { type: 'boolean' },
  'log-format': { type: 'string' },
  events: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const satisfies ParseArgsConfig['options'];

export interface ParsedArgs {
  command: 'run' | 'help' | 'version';
  /** Option values by config key; undefined where the flag was not given. */
  values: Record<string, unknown>;
  configFile: string | undefined;
}

export const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const numeric = (value: string | undefined) =>
  value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

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

const COMMANDS = ['run', 'exec', 'help'];

export function parseArgs(argv: string[]): ParsedArgs {
  const dashDash = argv.indexOf('--');
  const own = expandPoll(dashDash === -1 ? argv : argv.slice(0, dashDash));
  const afterDashDash = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  let parsed;
  try {
    parsed = parseNodeArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const flag = (/'(-[^' ]*)/.exec(message)?.[1] ?? String(error)).replace(/=.*$/, '');
    if ((error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const ambiguous = message.includes('ambiguous');
      throw new DevsupError('USAGE', ambiguous ? `option ${flag}: a value that starts with "-" must be attached` : `option ${flag} needs a value`, {
        hint: ambiguous ? `write ${flag}=<value>` : 'see devsup run --help',
      });
    }
    const guess = flag.startsWith('--') ? didYouMean(flag.slice(2), Object.keys(OPTIONS)) : undefined;
    throw new DevsupError('USAGE', `unknown option ${flag}`, {
      hint: guess ? `did you mean --${guess}?` : 'see devsup run --help; app arguments go after --',
    });
  }
  const { values: v, positionals } = parsed;
  const none = { values: {}, configFile: undefined };
  if (v.version) return { command: 'version', ...none };
  if (v.help || positionals[0] === 'help') return { command: 'help', ...none };
  let [command, ...rest] = positionals;
  if (command === undefined && afterDashDash.length === 0 && !hasAny(v)) return { command: 'help', ...none };
  // nodemon's habit, `devsup server.js`: a first word that looks like a file means `run` it.
  if (command !== undefined && !COMMANDS.includes(command) && /[./\\]/.test(command)) [command, rest] = ['run', positionals];
  if (command !== undefined && !COMMANDS.includes(command)) {
    const guess = didYouMean(command, COMMANDS);
    throw new DevsupError('USAGE', `unknown command "${command}"`, { hint: guess ? `did you mean devsup ${guess}?` : 'devsup run <entry>' });
  }

  const values: Record<string, unknown> = {
    stopTimeout: numeric(v['stop-timeout']),
    killGrace: numeric(v['kill-grace']),
    maxStopTimeout: numeric(v['max-stop-timeout']),
    readyTimeout: numeric(v['ready-timeout']),
    debounce: numeric(v.debounce) ?? (v.delay === undefined ? undefined : parseDelay(v.delay)),
    signal: v.signal,
    watch: v.watch,
    watchAll: v['watch-all'],
    ignore: v.ignore,
    ext: v.ext?.join(','),
    shell: v.shell,
    nodeArgs: v['node-arg'],
    python: v.python,
    envFile: v.dotenv,
    onCrash: v['on-crash'],
    poll: v.poll === undefined ? undefined : v.poll === 'true' ? true : numeric(v.poll),
    clearScreen: v.clear,
    logFormat: v['log-format'],
    // A number is a file descriptor (--events 3); anything else a file.
    events: v.events !== undefined && /^\d+$/.test(v.events) ? Number(v.events) : v.events,
    logLevel: v.verbose ? 'debug' : v.quiet ? 'warn' : undefined,
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
  return { command: 'run', values, configFile: v.config };
}

function hasAny(values: Record<string, unknown>): boolean {
  return Object.values(values).some((value) => value !== undefined);
}
