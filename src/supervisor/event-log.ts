// --events <file|fd>: every lifecycle event as one JSON line, for editors, CI and scripts. Schema: docs/EVENTS.md.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { SupervisorEvents } from '../core/events.js';

// Version 2 names each line as the API names its event (v1's spawn, change, leak, exit, crash and close were renamed).
const EVENT_LOG_VERSION = 2;

/**
 * Starts writing `supervisor`'s events to `target` (a path, or an open file descriptor), each line with `extra` (a
 * services run: the service's name). Returns the closer.
 */
export function attachEventLog(
  supervisor: EventEmitter<SupervisorEvents>,
  target: string | number,
  onError: (error: Error) => void,
  extra: Record<string, unknown> = {},
): () => void {
  const fd = typeof target === 'number' ? target : openSync(target, 'w');
  let broken = false;
  // Synchronous writes: lines keep their order and none is lost when devsup exits right after.
  const write = (type: string, fields: Record<string, unknown>) => {
    if (broken) return;
    const line = { v: EVENT_LOG_VERSION, t: Math.round(performance.now() * 10) / 10, type, ...extra, ...fields };
    try {
      writeSync(fd, `${JSON.stringify(line)}\n`);
    } catch (error) {
      broken = true;
      onError(error as Error);
    }
  };
  supervisor.on('changed', ({ paths }) => write('changed', { paths }));
  supervisor.on('settled', ({ paths }) => write('settled', { paths }));
  supervisor.on('ignored', ({ path, rule }) => write('ignored', { path, rule }));
  supervisor.on('paused', ({ path, restarts }) => write('paused', { path, restarts }));
  supervisor.on('stopRequested', ({ runId, reason }) => write('stop-requested', { runId, reason }));
  supervisor.on('cleanup', ({ runId, name, status, ms, error }) => write('cleanup', { runId, name, outcome: status, ms, ...(error ? { error } : {}) }));
  supervisor.on('leaked', ({ runId, openHandles, killed }) => write('leaked', { runId, resources: openHandles, killed }));
  supervisor.on('exited', ({ runId, exit, asked, teardownMs }) => write('exited', { runId, code: exit.code, signal: exit.signal, asked, ms: teardownMs ?? null }));
  supervisor.on('crashed', ({ runId, exit }) => write('crashed', { runId, code: exit.code, signal: exit.signal }));
  supervisor.on('started', ({ runId, pid }) => write('started', { runId, pid: pid ?? null }));
  supervisor.on('ready', ({ runId, ms, via }) => write('ready', { runId, ms, via }));
  supervisor.on('closed', ({ exitCode }) => write('closed', { exitCode }));
  supervisor.on('built', ({ runId, ms }) => write('built', { runId, ms }));
  supervisor.on('buildFailed', ({ runId, exit, ms }) => write('build-failed', { runId, code: exit.code, signal: exit.signal, ms }));
  return () => {
    if (typeof target !== 'number') closeSync(fd);
  };
}
