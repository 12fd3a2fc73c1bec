// Starts one child: node (with tsx's loader for TypeScript entries) on the entry, the app's stdio passed through
// untouched, and an IPC channel for the protocol.
import { extname } from 'node:path';
import { execa } from 'execa';
import type { Options } from './config.js';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
export const ENTRY_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx'];

// Resolved from devsup itself, so that an app need not install tsx to run its TypeScript entry.
let tsxLoader: string | undefined;
const tsxLoaderUrl = () => (tsxLoader ??= import.meta.resolve('tsx'));

/** The node arguments that run `entry`: TypeScript through tsx's loader, JavaScript as it is. */
export function nodeArguments(options: Options, entry: string): string[] {
  const loader = TS_EXTENSIONS.has(extname(entry)) ? ['--import', tsxLoaderUrl()] : [];
  return [...options.nodeArgs, ...loader, entry, ...options.args];
}

export type Child = ReturnType<typeof spawnChild>;

export function spawnChild(options: Options, entry: string) {
  return execa(process.execPath, nodeArguments(options, entry), {
    cwd: options.cwd,
    env: {
      ...options.env,
      // Tells devsup/child that it is supervised (it deletes these, so the app's own forks do not inherit them).
      DEVSUP_IPC: '1',
      DEVSUP_STOP_TIMEOUT: String(options.stopTimeout),
    },
    extendEnv: true,
    stdio: 'inherit',
    ipc: true,
    serialization: 'json',
    reject: false,
    buffer: false,
    // The supervisor owns the child's lifetime: its teardown ladder, not execa's exit hooks.
    cleanup: false,
    forceKillAfterDelay: false,
    windowsHide: false,
  });
}
