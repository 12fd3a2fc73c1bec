#!/usr/bin/env node
// The command line: argv → options → supervisor; terminal signals; `rs` on stdin. The only place that exits.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { findConfigFile, loadConfigFile, normalize, type Layer } from './config.js';
import { DevsupError, didYouMean } from './errors.js';
import { createLogger } from './logger.js';
import { Supervisor } from './supervisor.js';

const OPTIONS = {
  config: { type: 'string' },
  'stop-timeout': { type: 'string' },
  'kill-grace': { type: 'string' },
  'ready-timeout': { type: 'string' },
  debounce: { type: 'string' },
  signal: { type: 'string' },
  watch: { type: 'string', multiple: true },
  ignore: { type: 'string', multiple: true },
  'node-arg': { type: 'string', multiple: true },
  'log-format': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const HELP = `devsup — restarts your Node.js app on change, after its cleanups have run

Usage
  devsup run <entry> [options] [-- app arguments]
  devsup run                      (entry from supervisor.config.ts)

Options                              default
  --stop-timeout <ms>   time for the app's cleanups before ${'SIGTERM'}      5000
  --kill-grace <ms>     time after the signal before SIGKILL of the tree   1000
  --ready-timeout <ms>  an app that never calls ready() counts as ready    1000
  --signal <name>       signal for apps without devsup/child             SIGTERM
  --debounce <ms>       quiet period before the next child starts          75
  --watch <path>        watch this path instead of the project (repeat)    .
  --ignore <pattern>    never restart for this name/path (repeat)          node_modules, .git, dist, …
  --node-arg <arg>      pass an argument to node, e.g. --node-arg=--inspect
  --config <file>       config file                                        ./supervisor.config.ts
  --log-format <fmt>    human or json                                      human
  -q, --quiet           only warnings and errors
  -v, --verbose         debug output: every transition and message
  -h, --help            this text
  --version             devsup's version

While running: type rs + Enter to restart; Ctrl-C stops the app gracefully (twice: at once).

Examples
  devsup run src/server.ts
  devsup run src/server.ts --stop-timeout 10000 -- --port 3000
`;

const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const numeric = (value: string | undefined) => (value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value);

interface Parsed {
  command: 'run' | 'help' | 'version';
  cliLayer: Layer;
  configFile: string | undefined;
}

function parseCommandLine(argv: string[]): Parsed {
  const dashDash = argv.indexOf('--');
  const own = dashDash === -1 ? argv : argv.slice(0, dashDash);
  const appArgs = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  let parsed;
  try {
    parsed = parseArgs({ args: own, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const flag = /'(-[^']*)'/.exec((error as Error).message)?.[1] ?? String(error);
    const guess = flag.startsWith('--') ? didYouMean(flag.slice(2), Object.keys(OPTIONS)) : undefined;
    const code = (error as { code?: string }).code;
    const message = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${flag}` : `invalid option ${flag}: ${(error as Error).message.split('\n')[0]}`;
    throw new DevsupError('USAGE', message, {
      hint: guess ? `did you mean --${guess}?` : 'see devsup run --help; app arguments go after --',
    });
  }
  const { values, positionals } = parsed;
  const [command, entry, ...rest] = positionals;
  const cliLayer: Layer = { source: 'command line', values: {}, base: process.cwd(), spell: kebab };
  if (values.version) return { command: 'version', cliLayer, configFile: undefined };
  if (values.help || command === undefined || command === 'help') return { command: 'help', cliLayer, configFile: undefined };
  if (command !== 'run') {
    throw new DevsupError('USAGE', `unknown command "${command}"`, { hint: `devsup run ${command}` });
  }
  cliLayer.values = {
    entry,
    args: rest.length + appArgs.length > 0 ? [...rest, ...appArgs] : undefined,
    stopTimeout: numeric(values['stop-timeout']),
    killGrace: numeric(values['kill-grace']),
    readyTimeout: numeric(values['ready-timeout']),
    debounce: numeric(values.debounce),
    signal: values.signal,
    watch: values.watch,
    ignore: values.ignore,
    nodeArgs: values['node-arg'],
    logFormat: values['log-format'],
    logLevel: values.verbose ? 'debug' : values.quiet ? 'warn' : undefined,
  };
  return { command: 'run', cliLayer, configFile: values.config };
}

async function main(argv: string[]): Promise<number | undefined> {
  const { command, cliLayer, configFile } = parseCommandLine(argv);
  if (command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'version') {
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const file = configFile ?? findConfigFile(process.cwd());
  const layers = file ? [await loadConfigFile(file), cliLayer] : [cliLayer];
  const options = normalize(layers);
  const logger = createLogger({ format: options.logFormat, level: options.logLevel });
  if (file) logger.debug({ config: file }, `config: ${file}`);
  const supervisor = new Supervisor(options, logger);

  // The app must not outlive devsup, even when devsup itself fails.
  process.on('exit', () => {
    const pid = supervisor.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals === 1) logger.info(`${signal}: stopping the app (again to force)`);
      void supervisor.close({ force: signals > 1 });
    });
  }

  if (options.restartable !== false && process.stdin.readable) {
    const restartable = options.restartable;
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === restartable) supervisor.restart().catch(() => {});
    });
  }

  const closed = new Promise<number>((resolve) => supervisor.once('closed', ({ exitCode }) => resolve(exitCode)));
  supervisor.start().catch((error: unknown) => {
    // A start that fails because of bad input ends devsup; an app that crashes leaves it waiting for changes.
    if (error instanceof DevsupError && error.exitCode === 2) {
      logger.error({ code: error.code }, `error: ${error.line}`);
      process.exit(2);
    }
  });
  return closed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (error: unknown) => {
    if (error instanceof DevsupError) {
      process.stderr.write(`[devsup] error: ${error.line}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`[devsup] internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(70);
  },
);
