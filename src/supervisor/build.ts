// The build step: what runs before each start, once the old app's tree is gone — a command line (through the shell,
// with node_modules/.bin on the PATH) or the API's function. Its output is kept, and shown only when it fails.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import type { Event, Exit } from '../core/state.js';
import { DevsupError } from '../core/errors.js';
import { checkRunnable, withBinPath } from '../process/spawn.js';
import type { Logger } from './logger.js';

export type BuildResult = { ok: true; ms: number } | { ok: false; ms: number; exit: Exit; output: string };

// What is shown of a failed build: its last 64 KB (a compiler's errors come last).
const KEEP = 64 * 1024;

/** Runs the build step once; `signal` ends a command that is still running (devsup closes meanwhile). */
export async function runBuild(build: NonNullable<Options['build']>, options: Options, signal: AbortSignal): Promise<BuildResult> {
  const at = performance.now();
  const ms = () => Math.round(performance.now() - at);
  if (typeof build === 'function') {
    try {
      await build();
      return { ok: true, ms: ms() };
    } catch (error) {
      const output = error instanceof Error ? (error.stack ?? error.message) : String(error);
      return { ok: false, ms: ms(), exit: { code: 1, signal: null }, output };
    }
  }
  return new Promise<BuildResult>((resolve) => {
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-KEEP));
    const child = spawn(build, {
      shell: true,
      cwd: options.cwd,
      env: withBinPath({ ...process.env, ...options.env }, options.cwd),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      windowsHide: true,
    });
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => keep(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, exitSignal) => {
      if (code === 0) return resolve({ ok: true, ms: ms() });
      resolve({ ok: false, ms: ms(), exit: { code, signal: exitSignal }, output });
    });
  });
}

/** What keeps the entry from being run once the build is done (it may be the build's output), in one line. */
function entryProblem(options: Options): string | undefined {
  if (options.entry === undefined || options.exec) return undefined;
  if (!existsSync(options.entry)) return `the build step made no ${relative(options.cwd, options.entry)}, the entry (check entry, and where the build writes)`;
  try {
    checkRunnable(options);
    return undefined;
  } catch (error) {
    return error instanceof DevsupError ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : String(error);
  }
}

/**
 * What comes before a start (the 'build' effect): the wait for the services this one depends on (`wait`), then the
 * build step; then 'built', or 'build-failed' with its output shown. Nothing is said once `signal` ended it.
 */
export async function beforeStart(
  shell: { options: Options; log: Logger; emitter: EventEmitter<SupervisorEvents>; dispatch: (event: Event) => void },
  runId: number,
  signal: AbortSignal,
  wait?: () => Promise<void>,
): Promise<void> {
  const { options, log, emitter, dispatch } = shell;
  await wait?.();
  if (signal.aborted) return;
  if (options.build === undefined) return dispatch({ type: 'built', runId });
  const result = await runBuild(options.build, options, signal);
  if (signal.aborted) return;
  const unrunnable = result.ok ? entryProblem(options) : undefined;
  if (unrunnable) {
    // The entry may be the build's output: one it did not make, or cannot be run, starts nothing, as a failed build.
    const exit = { code: 1, signal: null };
    emitter.emit('buildFailed', { runId, exit, ms: result.ms, output: unrunnable });
    return dispatch({ type: 'build-failed', runId, exit, why: unrunnable });
  }
  if (result.ok) {
    log.debug({ runId, ms: result.ms }, `build step done in ${result.ms} ms`);
    emitter.emit('built', { runId, ms: result.ms });
    return dispatch({ type: 'built', runId });
  }
  const { exit, output, ms } = result;
  // Its output line by line, each a line of the log (the logger escapes a newline inside one).
  log.error({ runId, exit, output }, `build step failed after ${ms} ms:${output.trim() === '' ? ' (no output)' : ''}`);
  for (const line of output.trimEnd().split('\n')) if (line.trim() !== '') log.error({ runId, build: true }, line);
  emitter.emit('buildFailed', { runId, exit, ms, output });
  dispatch({ type: 'build-failed', runId, exit });
}
