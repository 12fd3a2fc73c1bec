#!/usr/bin/env node
// The command line: argv → options → supervisor; terminal signals; `rs` on stdin. The only place that exits.
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { createInterface } from 'node:readline';
import { kebab, parseArgs } from './args.js';
import { findConfigFile, loadConfigFile } from '../config/load-file.js';
import { normalize, type Layer } from '../config/normalize.js';
import { DevsupError } from '../core/errors.js';
import { createLogger } from '../supervisor/logger.js';
import { findNodemonConfig, findPackageMain, loadNodemonFile } from '../config/nodemon.js';
import { Supervisor } from '../supervisor/supervisor.js';

const HELP = `devsup — restarts your Node.js or Python app on change, after its cleanups have run

Usage
  devsup run <entry> [options] [-- app arguments]
  devsup run [options]                    entry from supervisor.config.ts
  devsup exec [options] -- <command...>   any command, e.g. devsup exec -- python app.py

Options                                                                 default
  --stop-timeout <ms>    time for the app's cleanups before the signal   5000
  --kill-grace <ms>      time after the signal before SIGKILL of the tree 1000
  --max-stop-timeout <ms> the most extendDeadline() can stretch a stop to 30000
  --ready-timeout <ms>   an app that never calls ready() is ready after   1000
  --signal <name>        stop signal (first rung without devsup/child)   SIGTERM
  --debounce <ms>        quiet period before the next child starts       75
  --delay <s|Nms>        nodemon's spelling of --debounce (2.5 = 2500 ms)
  -w, --watch <path>     also watch this file, folder or glob (repeat)   the files the app loads,
                         (with --exec: instead of the project)           .env*, package.json, tsconfig.json
  --watch-all            watch the whole project, as nodemon does         off
  -i, --ignore <glob>    never restart for this name/glob (repeat)       node_modules, .git, dist, …
  -e, --ext <list>       only these extensions restart, e.g. ts,json     any
  --poll [ms]            poll instead of file system events               off (100 ms when on)
  -x, --exec <command>   run this command (with the entry appended) instead of node
  --shell                run --exec through the shell                     off
  --node-arg <arg>       argument for node, e.g. --node-arg=--inspect (repeat)
  --python <path>        the interpreter for a .py entry                  python3
  --dotenv <file>        load variables from a .env file before each start
  --on-crash <policy>    wait | restart (with backoff) | exit              wait
  --clear                clear the screen before each restart             off
  --config <file>        config file                  supervisor.config.ts (searched upwards)
  --log-format <fmt>     human or json                                    human
  --events <file|fd>     write every lifecycle event as a JSON line (docs/EVENTS.md)
  -q, --quiet            only warnings and errors
  -V, --verbose          every transition and message
  -h, --help             this text
  -v, --version          devsup's version

While running: rs + Enter restarts; Ctrl-C stops the app gracefully (twice: at once).
Without a supervisor.config.ts, devsup reads nodemon.json or package.json#nodemonConfig.

Examples
  devsup run src/server.ts
  devsup run src/server.ts --stop-timeout 10000 -- --port 3000
  devsup run app.py --python .venv/bin/python
  devsup run -e ts,json -w src --exec "node --import tsx" src/index.ts
  devsup exec --signal SIGINT -- python -u app.py
`;

async function main(argv: string[]): Promise<number> {
  const { command, values, configFile, notes } = parseArgs(argv);
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
  // Nothing names what to run: package.json's main, as bare `nodemon` runs it.
  const named = layers.some((layer) => layer.values.entry !== undefined || layer.values.exec !== undefined);
  const main = named ? undefined : findPackageMain(process.cwd());
  const deprecations: string[] = [];
  const options = normalize(main ? [main, ...layers] : layers, fileLayer?.base ?? process.cwd(), (line) => deprecations.push(line));
  const logger = createLogger({ format: options.logFormat, level: options.logLevel });
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

  // The app must not outlive devsup, even when devsup itself fails.
  process.on('exit', () => {
    const pid = supervisor.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  let signals = 0;
  let received: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signals += 1;
      received ??= signal;
      if (signals === 1) logger.info(`${signal}: stopping the app (again to force)`);
      void supervisor.close({ force: signals > 1 });
    });
  }

  if (options.restartable !== false && process.stdin.readable) {
    const restartable = options.restartable;
    createInterface({ input: process.stdin }).on('line', (line) => {
      if (line.trim() === restartable) supervisor.restart().catch(() => {});
    });
  }

  // Stopped by a signal: an app that the stop killed (exit 128 + n: devsup's SIGTERM, or SIGKILL) makes devsup exit
  // 128 + the signal devsup itself received, as nodemon and tsx watch do (130 after Ctrl-C); an app that ended with
  // a code of its own (its cleanups ran: 0, or 1 when one failed) is followed.
  const closed = new Promise<number>((resolve) =>
    supervisor.once('closed', ({ exitCode }) => resolve(received && exitCode > 128 ? 128 + osConstants.signals[received] : exitCode)),
  );
  supervisor.start().catch((error: unknown) => {
    // Bad input ends devsup; an app that crashes leaves it waiting for changes (or as onCrash says).
    if (error instanceof DevsupError && error.exitCode === 2) {
      logger.error({ code: error.code }, `error: ${error.line}`);
      process.exit(2);
    }
  });
  return closed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof DevsupError) {
      process.stderr.write(`[devsup] error: ${error.line}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`[devsup] internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(70);
  },
);
