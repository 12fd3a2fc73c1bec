// Starts one child: node (with tsx's loader for TypeScript entries) on the entry, the Python interpreter on a .py
// entry, or any command given with `exec`; the app's stdio passed through untouched, and an IPC channel for the protocol.
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { spawn } from 'node:child_process';
import type { Options } from '../config/schema.js';
import { DevsupError, didYouMean } from '../core/errors.js';
import type { HeldSockets } from './sockets.js';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
export const ENTRY_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.py'];
export const isPython = (entry: string | undefined): entry is string => entry !== undefined && extname(entry) === '.py';

// The Python client (devsup_child.py), shipped with devsup: on every app's PYTHONPATH, after the app's own entries,
// so that `import devsup_child` works without installing anything (a vendored copy next to the entry still wins).
const PYTHON_CLIENT_DIR = fileURLToPath(new URL('../../clients/python', import.meta.url));

// Keeps a Node app from outliving devsup when it does not use devsup/child (see child/guard.ts). Resolved through the
// package's exports, so that it is the built file whether devsup runs from dist/ or from its sources (tests).
let guard: string | undefined;
const guardUrl = () => (guard ??= import.meta.resolve('devsup/child/guard'));

// Resolved from devsup itself, so that an app need not install tsx to run its TypeScript entry.
let tsxLoader: string | undefined;
const tsxLoaderUrl = () => (tsxLoader ??= import.meta.resolve('tsx'));

/** Throws the one-line error a person needs when there is nothing that can be run. */
export function checkRunnable(options: Options): void {
  const { entry, cwd } = options;
  if (options.envFile && !existsSync(options.envFile)) {
    throw new DevsupError('ENV_FILE_NOT_FOUND', `env file not found: ${relative(cwd, options.envFile)}`, {
      hint: 'check envFile / --dotenv',
    });
  }
  // With `exec`, the command is the app; an entry, if given, is just its first argument.
  if (options.exec && !entry) return;
  if (!entry) {
    throw new DevsupError('ENTRY_MISSING', 'no entry to run', {
      hint: 'devsup run src/server.ts, or set entry in supervisor.config.ts',
    });
  }
  const shown = relative(cwd, entry) || entry;
  // With a build step the entry may be what it makes (dist/main.js, before the first build): looked for after it.
  if (!existsSync(entry) && options.build !== undefined) return;
  if (!existsSync(entry)) {
    const dir = dirname(entry);
    const near = existsSync(dir) ? didYouMean(basename(entry), readdirSync(dir)) : undefined;
    throw new DevsupError('ENTRY_NOT_FOUND', `entry not found: ${shown}`, {
      hint: near ? `did you mean ${relative(cwd, `${dir}/${near}`)}?` : 'check the path',
    });
  }
  if (options.exec) return;
  if (statSync(entry).isDirectory()) {
    throw new DevsupError('ENTRY_IS_DIRECTORY', `entry is a directory: ${shown}`, {
      hint: 'name the file that starts the app, e.g. src/server.ts',
    });
  }
  if (!ENTRY_EXTENSIONS.includes(extname(entry))) {
    throw new DevsupError('ENTRY_UNSUPPORTED', `cannot run ${shown}: not a JavaScript, TypeScript or Python file`, {
      hint: `entries end in ${ENTRY_EXTENSIONS.join(', ')}`,
    });
  }
  if (isPython(entry) && !findExecutable(options.python, options.env.PATH ?? process.env.PATH ?? '')) {
    throw new DevsupError('PYTHON_NOT_FOUND', `cannot run ${shown}: Python interpreter not found: ${options.python}`, {
      hint: 'install Python 3, or name the interpreter with --python or python in supervisor.config.ts',
    });
  }
}

// A name with a slash is a path; a bare name is looked up on the PATH, as spawn() will (on Windows with PATHEXT).
function findExecutable(name: string, path: string): boolean {
  const files = /[\\/]/.test(name) ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  const extensions = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  return files.flatMap((file) => extensions.map((ext) => file + ext)).some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** How the app is named in the log: its entry relative to the project, or the command. */
export function describeApp(options: Options): string {
  const entry = options.entry === undefined ? undefined : relative(options.cwd, options.entry);
  if (!options.exec) return entry ?? '?';
  return [...options.exec, ...(entry === undefined ? [] : [entry])].join(' ');
}

/**
 * Whether devsup runs the entry with Node itself (not `exec`): then Node reports every module the app loads (see
 * spawnChild), and that module graph is what is watched.
 */
export function reportsModules(options: Options): boolean {
  return !options.exec && options.entry !== undefined && !isPython(options.entry) && ENTRY_EXTENSIONS.includes(extname(options.entry));
}

/** The program and arguments that run the app. */
export function commandLine(options: Options): { file: string; args: string[] } {
  const entry = options.entry === undefined ? [] : [options.entry];
  if (options.exec) {
    const [file, ...rest] = options.exec;
    // Through a shell the line is joined into one string: what devsup appends is quoted for it, so that it stays one word.
    const appended = [...entry, ...options.args].map((arg) => (options.shell ? shellQuote(arg) : arg));
    return { file: file!, args: [...rest, ...appended] };
  }
  if (isPython(options.entry)) return { file: options.python, args: [...entry, ...options.args] };
  const loader = options.entry && TS_EXTENSIONS.has(extname(options.entry)) ? ['--import', tsxLoaderUrl()] : [];
  return { file: process.execPath, args: [...options.nodeArgs, '--import', guardUrl(), ...loader, ...entry, ...options.args] };
}

// One word for sh (or cmd.exe on Windows), quoted only when it needs to be.
function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return process.platform === 'win32' ? `"${arg.replace(/"/g, '""')}"` : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Variables from envFile that the environment devsup runs in does not already set (as with node --env-file). */
export function readEnvFile(path: string): Record<string, string> {
  const parsed = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => process.env[key] === undefined));
}

/**
 * The environment with <cwd>/node_modules/.bin and each one above it, up to the root, first on the PATH (nearest
 * first), as nodemon and `npm run` put them: `exec: "ts-node src/a.ts"` finds the project's ts-node.
 */
export function withBinPath(env: NodeJS.ProcessEnv, cwd: string): NodeJS.ProcessEnv {
  // On Windows the variable may be spelled Path; keep the spelling it has.
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const bins: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    bins.push(join(dir, 'node_modules', '.bin'));
    if (dirname(dir) === dir) break;
  }
  const rest = (env[key] ?? '').split(delimiter).filter((p) => p !== '' && !bins.includes(p));
  return { ...env, [key]: [...bins, ...rest].join(delimiter) };
}

// node:child_process rather than execa here: importing execa costs ~120 ms on this machine (more than starting a
// Node app), all of it before the first app could start, and devsup uses none of execa's extras for the app (it
// reads its own IPC channel and runs its own stop ladder). execa remains for `ps` where there is no /proc.
/** The app's IPC channel: the fd after the held sockets (3 when there are none). */
export const channelFd = (sockets: HeldSockets | undefined) => 3 + (sockets?.fds.length ?? 0);

export function spawnChild(options: Options, fileEnv: Record<string, string>, runToken: string, command = commandLine(options), sockets?: HeldSockets) {
  const { file, args } = command;
  const env = withBinPath({ ...process.env, ...fileEnv, ...options.env }, options.cwd);
  const common = {
    cwd: options.cwd,
    env: {
      ...env,
      // Tells devsup/child that it is supervised (it deletes these, so the app's own forks do not inherit them).
      DEVSUP_IPC: '1',
      DEVSUP_STOP_TIMEOUT: String(options.stopTimeout),
      // For the preload under --inspect-brk, which counts the ready timeout in the app's own running time.
      DEVSUP_READY_TIMEOUT: String(options.readyTimeout),
      DEVSUP_PID: String(process.pid),
      // Marks every process of this run, forks and double forks included (they inherit it): see process-tree.ts.
      DEVSUP_RUN: runToken,
      // The held sockets (sockets.ts), if any: fds 3, 4, …, LISTEN_FDS and LISTEN_FDNAMES.
      ...sockets?.env(),
      // After them, a plain pipe that devsup reads itself (channel.ts); a Node child makes it its IPC channel.
      NODE_CHANNEL_FD: String(channelFd(sockets)),
      NODE_CHANNEL_SERIALIZATION_MODE: 'json',
      // Node then sends `{"watch:import": [url]}` / `{"watch:require": [file]}` on the channel for every module the
      // app loads, dynamic imports included: how `node --watch` learns its module graph. It costs the app's boot one
      // small write per module (measured: 1,001 ES modules, 446 → 479 ms to listening; 101 modules, 174 → 184 ms),
      // and the preload's stat of each app module for its ctime (1,001 app modules: 436 → 453 ms, medians of 40).
      ...(reportsModules(options) ? { WATCH_REPORT_DEPENDENCIES: '1' } : {}),
      PYTHONPATH: env.PYTHONPATH ? `${env.PYTHONPATH}${delimiter}${PYTHON_CLIENT_DIR}` : PYTHON_CLIENT_DIR,
    },
    // stdio 'pipe' (the API, a services run): the app's stdout and stderr are read by devsup and handed on.
    stdio: ['inherit', options.stdio, options.stdio, ...(sockets?.fds ?? []), 'pipe'] as ('inherit' | 'pipe' | number)[],
    windowsHide: true,
  };
  // A shell only when asked for: user paths never pass through one otherwise.
  return options.shell ? spawn([file, ...args].join(' '), { ...common, shell: true }) : spawn(file, args, common);
}
