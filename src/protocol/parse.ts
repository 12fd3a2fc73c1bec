// The validating parser for what the app sends devsup: anything not ours, or not well-formed, is rejected with a
// reason, never thrown. Node's own module reports (WATCH_REPORT_DEPENDENCIES) become one `modules` message.
import { PROTOCOL_VERSION, type ChildMessage, type CleanupResult, type CleanupStatus, type OpenResource } from './messages.js';
import { isRecord } from './is-record.js';
import { modulePath } from './module-path.js';

const CLEANUP_STATUSES: readonly string[] = ['started', 'done', 'failed', 'timed-out'];
// A name or an error longer than this is cut: a report line, not a payload.
const MAX_TEXT = 2000;
const MAX_RESULTS = 1000;
const MAX_OPEN = 100;
// The longest delay a Node timer takes (2^31 - 1 ms): an extendDeadline past it is this (the machine caps it lower).
export const MAX_MS = 2 ** 31 - 1;
// An open resource's count is at most this: a report line, whatever the app claims.
export const MAX_COUNT = 1_000_000;

export type Parsed = { ok: true; message: ChildMessage } | { ok: false; why: string };


const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined;

// A duration the app reports: at most MAX_MS (it is printed, and never more than a deadline devsup could arm).
const finiteMs = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(value, MAX_MS) : undefined;

function parseOpen(value: unknown): OpenResource | undefined {
  if (!isRecord(value)) return undefined;
  const type = text(value.type);
  if (type === undefined) return undefined;
  const detail = text(value.detail);
  const count = typeof value.count === 'number' && Number.isInteger(value.count) && value.count > 0 ? Math.min(value.count, MAX_COUNT) : undefined;
  return { type, ...(detail === undefined ? {} : { detail }), ...(count === undefined ? {} : { count }) };
}

function parseResult(value: unknown): CleanupResult | undefined {
  if (!isRecord(value)) return undefined;
  const name = text(value.name);
  const ms = finiteMs(value.ms);
  const status = value.status;
  if (name === undefined || ms === undefined) return undefined;
  if (status !== 'done' && status !== 'failed' && status !== 'timed-out') return undefined;
  const error = text(value.error);
  return error === undefined ? { name, status, ms } : { name, status, ms, error };
}

// Node sends these itself when WATCH_REPORT_DEPENDENCIES is set (it is how `node --watch` learns the module graph):
// `{"watch:import": [url]}` for ES modules, `{"watch:require": [filename]}` for CommonJS. devsup's preload adds
// `"devsup:ctime"`: each file's ctime when the report was sent.
function parseModuleReport(value: Record<string, unknown>): Parsed | undefined {
  const reported = value['watch:import'] ?? value['watch:require'];
  if (reported === undefined) return undefined;
  if (!Array.isArray(reported)) return { ok: false, why: 'a module report that is not a list' };
  const stamped = Array.isArray(value['devsup:ctime']) ? (value['devsup:ctime'] as unknown[]) : [];
  const files: string[] = [];
  const ctimes: Record<string, number> = {};
  reported.slice(0, MAX_RESULTS).forEach((entry, i) => {
    const file = modulePath(entry);
    if (file === undefined) return;
    files.push(file);
    if (Number.isFinite(stamped[i])) ctimes[file] = stamped[i] as number;
  });
  return { ok: true, message: { devsup: 1, type: 'modules', files, ctimes } };
}

/** Validates one message from the child. Anything that is not ours, or not well-formed, is rejected with a reason. */
export function parseChildMessage(value: unknown): Parsed {
  if (isRecord(value) && value.devsup === undefined) {
    const report = parseModuleReport(value);
    if (report) return report;
  }
  if (!isRecord(value) || value.devsup === undefined) return { ok: false, why: 'not a devsup message' };
  if (value.devsup !== PROTOCOL_VERSION) return { ok: false, why: `unsupported protocol version ${String(value.devsup)}` };
  switch (value.type) {
    case 'hello': {
      const sdk = text(value.sdk) ?? 'unknown';
      const pid = typeof value.pid === 'number' && Number.isInteger(value.pid) ? value.pid : 0;
      return { ok: true, message: { devsup: 1, type: 'hello', sdk, pid } };
    }
    case 'ready':
      return { ok: true, message: { devsup: 1, type: 'ready' } };
    case 'stopping': {
      if (!Array.isArray(value.cleanups)) return { ok: false, why: 'stopping needs cleanups[]' };
      const cleanups = value.cleanups.slice(0, MAX_RESULTS).map(text);
      if (cleanups.some((c) => c === undefined)) return { ok: false, why: 'stopping has a cleanup name that is not a string' };
      return { ok: true, message: { devsup: 1, type: 'stopping', cleanups: cleanups as string[] } };
    }
    case 'extend': {
      const ms = finiteMs(value.ms);
      if (ms === undefined) return { ok: false, why: 'extend needs ms, a non-negative number' };
      return { ok: true, message: { devsup: 1, type: 'extend', ms } };
    }
    case 'cleanup': {
      const name = text(value.name);
      const ms = finiteMs(value.ms);
      if (name === undefined || ms === undefined || !CLEANUP_STATUSES.includes(value.status as string)) {
        return { ok: false, why: 'cleanup message needs name, status and ms' };
      }
      const error = text(value.error);
      const message: ChildMessage = { devsup: 1, type: 'cleanup', name, status: value.status as CleanupStatus, ms };
      return { ok: true, message: error === undefined ? message : { ...message, error } };
    }
    case 'shutdown-done': {
      if (!Array.isArray(value.results)) return { ok: false, why: 'shutdown-done needs results[]' };
      const results = value.results.slice(0, MAX_RESULTS).map(parseResult);
      if (results.some((r) => r === undefined)) return { ok: false, why: 'shutdown-done has a malformed result' };
      // openHandles is optional (a client may not audit); malformed entries are dropped, not fatal.
      const open = Array.isArray(value.openHandles) ? value.openHandles.slice(0, MAX_OPEN).map(parseOpen) : [];
      const openHandles = open.filter((o): o is OpenResource => o !== undefined);
      return { ok: true, message: { devsup: 1, type: 'shutdown-done', results: results as CleanupResult[], openHandles } };
    }
    case 'listen': {
      const port = value.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535 || typeof value.held !== 'boolean') {
        return { ok: false, why: 'listen needs port (1-65535) and held' };
      }
      const host = text(value.host);
      const message: ChildMessage = { devsup: 1, type: 'listen', port, held: value.held };
      return { ok: true, message: host === undefined ? message : { ...message, host } };
    }
    case 'ran': {
      const ms = finiteMs(value.ms);
      if (ms === undefined) return { ok: false, why: 'ran needs ms, a non-negative number' };
      return { ok: true, message: { devsup: 1, type: 'ran', ms } };
    }
    case 'exiting': {
      if (typeof value.code !== 'number' || !Number.isInteger(value.code)) return { ok: false, why: 'exiting needs code, an integer' };
      return { ok: true, message: { devsup: 1, type: 'exiting', code: value.code } };
    }
    case 'listen-failed': {
      const port = value.port;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535 || value.code !== 'EADDRINUSE') {
        return { ok: false, why: 'listen-failed needs port (1-65535) and code EADDRINUSE' };
      }
      return { ok: true, message: { devsup: 1, type: 'listen-failed', port, code: 'EADDRINUSE' } };
    }
    default:
      return { ok: false, why: `unknown message type ${JSON.stringify(value.type)}` };
  }
}
