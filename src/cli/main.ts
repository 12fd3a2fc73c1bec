#!/usr/bin/env node
// The command line: argv → options → supervisor; terminal signals; `rs` on stdin. The only place that exits.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { attachTerminal } from './terminal.js';
import { kebab, parseArgs } from './args.js';
import { findConfigFile, loadConfigFile } from '../config/load-file.js';
import { normalize, type Layer } from '../config/normalize.js';
import { DevsupError } from '../core/errors.js';
import { createLogger, letGoOfHungTerminal, tolerateWriteErrors } from '../supervisor/logger.js';
import { findNodemonConfig, findPackageMain, loadNodemonFile } from '../config/nodemon.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { hasServices, planServices } from '../services/config.js';
import { Services } from '../services/services.js';

// The help: one row per option, the defaults in one column, every line within 80 columns (tested).
const OPTION_ROWS: [flags: string, what: string, fallback?: string][] = [
  ['--stop-timeout <ms>', "time for the app's cleanups", '5000'],
  ['--kill-grace <ms>', 'after --signal, the time to SIGKILL', '1000'],
  ['--max-stop-timeout <ms>', 'the most extendDeadline() can get', '30000'],
  ['--ready-timeout <ms>', 'ready after this without ready()', '1000'],
  ['-s, --signal <name>', 'stop signal without devsup/child', 'SIGTERM'],
  ['--quiet-period <ms>', 'no change for this long: next start', '20'],
  ['--standby <mode>', 'boot the next app ahead (on-change)', 'warm'],
  ['--no-standby', 'boot each app only when it starts', ''],
  ['-d, --delay <s|Nms>', "nodemon's spelling: 2.5 or 2500ms", ''],
  ['-w, --watch <path>', 'also watch a file/folder/glob', 'loaded files'],
  ['', '(repeat; with --exec: instead of all)', ''],
  ['--watch-all', 'watch the whole project, as nodemon', 'off'],
  ['-i, --ignore <glob>', 'never restart for this (repeat)', 'node_modules,…'],
  ['-e, --ext <list>', 'only these extensions, e.g. ts,json', 'any'],
  ['--poll [ms]', 'poll instead of file system events', 'off (100 ms)'],
  ['-L, --legacy-watch', "nodemon's: --poll", ''],
  ['-P, --polling-interval <ms>', "nodemon's: poll every <ms>", ''],
  ['-x, --exec <command>', 'run this (entry appended), not node', ''],
  ['--shell', 'run --exec through the shell', 'on &&, |, $…'],
  ['--node-arg <arg>', 'any other flag for node (repeat)', ''],
  ['--python <path>', 'the interpreter for a .py entry', 'python3'],
  ['--dotenv <file>', 'load a .env file before each start', ''],
  ['--socket <[host:]port>', 'hold the port across restarts (repeat)', ''],
  ['--on-crash <policy>', 'wait | restart (backoff) | exit', 'wait'],
  ['--exitcrash', "nodemon's: --on-crash exit", ''],
  ['-I, --no-stdin', 'leave stdin to the app (no rs)', ''],
  ['--clear', 'clear the screen at each restart', 'off'],
  ['--config <file>', 'supervisor.config.ts, nodemon .json', 'found upwards'],
  ['--only <service>', 'with services: it and its dependencies', 'all'],
  ['--log-format <fmt>', 'human or json', 'human'],
  ['--color, --no-color', 'colour the log or not', 'by env'],
  ['--events <file|fd>', 'each event as a JSON line', ''],
  ['-q, --quiet', 'only warnings and errors', ''],
  ['-V, --verbose', 'every transition and message', ''],
  ['-h, --help / -v, --version', 'this text / the version', ''],
];
const FLAGS = 27;
const WHAT = 36;
const row = ([flags, what, fallback = '']: (typeof OPTION_ROWS)[number]) =>
  (flags.length > FLAGS ? `  ${flags}\n  ${''.padEnd(FLAGS)} ` : `  ${flags.padEnd(FLAGS)} `) + (fallback ? `${what.padEnd(WHAT - 1)} ${fallback}` : what);

const HELP = `devsup — restarts your Node.js or Python app on change, after its cleanups ran

Usage
  devsup [entry] [options] [-- app args]  no entry: supervisor.config.ts's,
                                          nodemon.json's, package.json main
  devsup run <entry> [options]            the same, spelled out
  devsup exec [options] -- <command...>   e.g. devsup exec -- python app.py

Options${' '.repeat(FLAGS + WHAT - 4)}default
${OPTION_ROWS.map(row).join('\n')}

node's own flags go to node: --inspect[=port], --inspect-brk, -r/--require <m>,
--import <m>, --env-file <f>, --enable-source-maps, --conditions <c>,
--max-old-space-size=<n>. nodemon's --spawn is not needed; -C/--on-change-only
is accepted, but the app starts at once. --debounce is now --quiet-period.

While running: rs + Enter restarts; Ctrl-C stops the app gracefully (twice: at
once). Without a supervisor.config.ts, devsup reads nodemon.json or
package.json#nodemonConfig. Events: docs/EVENTS.md.

Examples
  devsup src/server.ts
  devsup src/server.ts --stop-timeout 10000 -- --port 3000
  devsup -L -r tsconfig-paths/register src/index.ts -w "src/**/*.ts"
  devsup app.py --python .venv/bin/python
  devsup exec --signal SIGINT -- python -u app.py
`;

// A closed log reader or terminal must not end devsup before the app's cleanups ran: write errors on its own
// streams are swallowed (logger.ts), and a terminal that hung up is let go of before exiting (Node's exit would
// restore its modes, fail, and abort).
// (stdout is the app's: devsup does not open it, which would make the pipe it shares with the app non-blocking.)
tolerateWriteErrors(process.stderr);
process.on('exit', letGoOfHungTerminal);

async function main(argv: string[]): Promise<number> {
  const { command, values, configFile, notes, only = [], color } = parseArgs(argv);
  if (command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'version') {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const cli: Layer = { source: 'command line', values, base: process.cwd(), spell: kebab };
  // --config names a supervisor.config.*, or (nodemon's meaning) a nodemon.json-style file.
  const nodemonFile = configFile !== undefined && /\.json$/i.test(configFile);
  const file = nodemonFile ? undefined : (configFile ?? findConfigFile(process.cwd()));
  const nodemon = nodemonFile ? loadNodemonFile(configFile) : file ? undefined : findNodemonConfig(process.cwd());
  const fileLayer = file ? await loadConfigFile(file) : nodemon?.layer;
  const layers = fileLayer ? [fileLayer, cli] : [cli];
  if (hasServices(layers)) return runServices(layers, fileLayer!.base, only, color);
  if (only.length > 0) throw new DevsupError('USAGE', '--only: the config has no services', { hint: 'define services in supervisor.config.ts' });
  // Nothing names what to run: package.json's main, as bare `nodemon` runs it.
  const named = layers.some((layer) => layer.values.entry !== undefined || layer.values.exec !== undefined);
  const main = named ? undefined : findPackageMain(process.cwd());
  const deprecations: string[] = [];
  const options = normalize(main ? [main, ...layers] : layers, fileLayer?.base ?? process.cwd(), (line) => deprecations.push(line));
  const logger = createLogger({ format: options.logFormat, level: options.logLevel, color });
  for (const line of deprecations) logger.warn(line);
  for (const note of notes) logger.info(note);
  if (nodemon) {
    const why = nodemonFile ? '(--config)' : '(no supervisor.config.ts found)';
    const taken = nodemon.taken.length > 0 ? `; ${nodemon.taken.join(', ')}` : '';
    const skipped = nodemon.unsupported.length > 0 ? `; not taken over: ${nodemon.unsupported.join(', ')}` : '';
    logger.info({ config: nodemon.layer.source }, `using ${nodemon.layer.source} ${why}${taken}${skipped}`);
  } else if (file) {
    logger.debug({ config: file }, `config: ${file}`);
  }
  const supervisor = new Supervisor(options, logger);

  const closed = attachTerminal(
    { pids: () => (supervisor.pid === undefined ? [] : [supervisor.pid]), close: (o) => supervisor.close(o), once: (n, l) => supervisor.once(n, l) },
    logger,
    () => 'stopping the app',
  );

  if (options.restartable !== false && process.stdin.readable) {
    const restartable = options.restartable;
    createInterface({ input: process.stdin }).on('line', (line) => {
      if (line.trim() === restartable) supervisor.restart().catch(() => {});
    });
  }

  supervisor.start().catch((error: unknown) => {
    // Bad input ends devsup; an app that crashes leaves it waiting for changes (or as onCrash says).
    if (error instanceof DevsupError && error.exitCode === 2) {
      logger.error({ code: error.code }, `error: ${error.line}`);
      process.exit(2);
    }
  });
  return closed;
}

// Several services: one devsup, each service prefixed; Ctrl-C stops them in reverse dependency order; rs restarts
// all (rs <name>: it and its dependents).
async function runServices(layers: Layer[], base: string, only: string[], color?: boolean): Promise<number> {
  const deprecations: string[] = [];
  const plan = planServices(layers, only, base, (line) => deprecations.push(line), { stdio: 'pipe' });
  const first = plan.options.get(plan.names[0]!)!;
  const logger = createLogger({ format: first.logFormat, level: first.logLevel, color });
  for (const line of deprecations) logger.warn(line);
  const services = new Services(plan, logger);
  const closed = attachTerminal(
    { pids: () => services.pids, close: (o) => services.close(o), once: (n, l) => services.once(n, l) },
    logger,
    () => `stopping ${services.names.join(', ')}, dependents first`,
  );
  if (first.restartable !== false && process.stdin.readable) {
    const word = first.restartable;
    createInterface({ input: process.stdin }).on('line', (line) => {
      const [typed, ...names] = line.trim().split(/\s+/);
      if (typed !== word) return;
      const known = names.filter((n) => services.names.includes(n));
      services.restart(known.length > 0 ? { services: known } : {}).catch(() => {});
    });
  }
  services.start().catch((error: unknown) => {
    if (error instanceof DevsupError && error.exitCode === 2) {
      logger.error({ code: error.code }, `error: ${error.line}`);
      process.exit(2);
    }
  });
  return closed;
}

// Whether the command line asks for JSON lines: then even a usage error, found before any options exist, is one.
function wantsJson(argv: string[]): boolean {
  const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  return own.some((arg, i) => arg === '--log-format=json' || (arg === '--log-format' && own[i + 1] === 'json'));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DevsupError) {
      if (wantsJson(process.argv.slice(2))) {
        createLogger({ format: 'json', level: 'info' }).error({ code: error.code, hint: error.hint }, `error: ${error.line}`);
      } else {
        process.stderr.write(`[devsup] error: ${error.line}\n`);
      }
      process.exit(error.exitCode);
    }
    process.stderr.write(`[devsup] internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(70);
  },
);
