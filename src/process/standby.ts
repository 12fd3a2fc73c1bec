// The standby: the next app's process, booted while the old app tears down — node, its flags, devsup's preload and
// tsx's loader, nothing of the app — then told to run the entry once the old tree is gone (child/standby.ts). It
// hides the boot from the restart. One whose inputs changed meanwhile is discarded, never used.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from '../config/schema.js';
import type { RunMessage } from '../protocol/messages.js';
import { debugging } from './inspector.js';
import { commandLine, reportsModules } from './spawn.js';

// Resolved through the package's exports, as the preload is: the built runner whether devsup runs from dist/ or from
// its sources (tests, an embedding API run under tsx).
let runner: string | undefined;
const runnerPath = () => (runner ??= fileURLToPath(import.meta.resolve('devsup/child/standby')));

// A node flag that loads the user's own code before the entry (-r ./instrument.js, --import ./otel.mjs): in a standby
// it would run while the old app still lives. Such an app starts directly.
const USER_PRELOAD = /^(-r|--require|--import|--loader|--experimental-loader)(=|$)/;

/**
 * Whether this app can start from a standby: a Node entry run by devsup itself (not exec, not Python), with no
 * preload of its own in its node flags, and not under a debugger (see inspector.ts).
 */
export function canStandby(options: Options, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.standby === false || !reportsModules(options) || options.shell || debugging(options, env)) return false;
  return !options.nodeArgs.some((arg) => USER_PRELOAD.test(arg));
}

/** A direct start's command line, with the runner in place of the entry and the app's arguments. */
export function standbyCommand(options: Options): { file: string; args: string[] } {
  const { file, args } = commandLine(options);
  return { file, args: [...args.slice(0, args.length - 1 - options.args.length), runnerPath()] };
}

/** What the run message says: the entry and the arguments a direct start would give the app. */
export function runMessage(options: Options): RunMessage {
  return { devsup: 1, type: 'run', entry: options.entry!, args: [...options.args] };
}

const read = (path: string | undefined) => {
  if (path === undefined) return null;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * What a standby depends on beyond the options (which do not change while devsup runs): the env file it was given,
 * and the files its loaders read as they boot (package.json's "type", tsconfig.json for tsx). Read at its spawn and
 * again at its use.
 */
export function standbyInputs(options: Options): string {
  return JSON.stringify([read(options.envFile), read(join(options.cwd, 'package.json')), read(join(options.cwd, 'tsconfig.json'))]);
}
