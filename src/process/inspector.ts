// The app under a debugger: node's inspector flags in its node flags or NODE_OPTIONS, or VS Code's auto attach (its
// bootloader, in NODE_OPTIONS, opens the inspector; VSCODE_INSPECTOR_OPTIONS tells it where to report). Such an app
// always starts directly, never from a standby: a standby would open the inspector port while the old app still holds
// it (Node then runs the app without one), and VS Code's smart auto attach skips a process whose script is in
// node_modules, as the standby's runner is. With --inspect-brk or --inspect-wait, each start waits for a debugger to
// attach before any of the app's code runs.
import type { Options } from '../config/schema.js';
import { nodeOptionsFlags, opensInspector, waitsForDebugger } from '../protocol/inspector-flags.js';
import { reportsModules } from './spawn.js';

export interface Debugging {
  /** Each start waits for a debugger to attach (--inspect-brk, --inspect-wait). */
  waits: boolean;
}

/** Whether the app devsup starts is being debugged; undefined for an app devsup does not start with node itself. */
export function debugging(options: Options, env: NodeJS.ProcessEnv = process.env): Debugging | undefined {
  if (!reportsModules(options)) return undefined;
  const flags = [...options.nodeArgs, ...nodeOptionsFlags(options.env.NODE_OPTIONS ?? env.NODE_OPTIONS)];
  const vscode = (options.env.VSCODE_INSPECTOR_OPTIONS ?? env.VSCODE_INSPECTOR_OPTIONS) !== undefined;
  if (!vscode && !opensInspector(flags)) return undefined;
  return { waits: waitsForDebugger(flags) };
}
