// The words devsup uses for what happened: exits, triggers, cleanups, live teardown progress, leaks, the per-restart
// summary. Pure functions of the data, so that the same facts read the same in every line (and are unit-tested).
import type { Exit, Trigger } from '../core/machine.js';
import type { CleanupResult, OpenResource } from '../protocol/messages.js';
import type { Reaped } from '../core/events.js';

// Control characters (a newline, a carriage return, an escape sequence) and Unicode's line separators, as escapes.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A path, name or command as devsup prints it: every control character escaped (`\n`, `\x1b`), so that a file
 * named `x\n[devsup] ready in 1 ms.mjs` cannot forge a line of devsup's, nor an escape sequence repaint the terminal.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}

export const duration = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);

export function describeExit(exit: Exit): string {
  return exit.signal ? exit.signal : `exit ${exit.code ?? '?'}`;
}

/** "change in src/db.ts (+3 more)", "restart requested", "restart after the crash". */
export function describeTrigger(trigger: Trigger): string {
  const [first, ...rest] = trigger.paths;
  if (trigger.reason === 'crash') return 'restart after the crash';
  if (trigger.why !== undefined) return trigger.why;
  if (first === undefined) return 'restart requested';
  return `change in ${printable(first)}${rest.length > 0 ? ` (+${rest.length} more)` : ''}`;
}

export function describeCleanup(result: CleanupResult): string {
  if (result.status === 'done') return `${printable(result.name)} ${result.ms} ms`;
  return `${printable(result.name)} ${result.status} after ${result.ms} ms`;
}

/** Where a teardown stands: the plan (names in run order), what finished, what runs now and since how long. */
export interface Progress {
  plan: readonly string[];
  finished: readonly CleanupResult[];
  running: { name: string; forMs: number } | undefined;
  /** Since the request to stop. */
  elapsedMs: number;
}

const MARK: Record<CleanupResult['status'], string> = { done: '✓', failed: '✗ failed', 'timed-out': '⧗ timed out' };

/** `stopping: http server ✓ 12 ms · db pool … 1.4 s · browser pending` */
export function formatProgress(progress: Progress): string {
  const parts: string[] = progress.finished.map((r) => `${printable(r.name)} ${MARK[r.status]} ${duration(r.ms)}`);
  if (progress.running) parts.push(`${printable(progress.running.name)} … ${duration(progress.running.forMs)}`);
  const started = progress.finished.length + (progress.running ? 1 : 0);
  for (const name of progress.plan.slice(started)) parts.push(`${printable(name)} pending`);
  if (parts.length === 0) return `stopping: waiting for the app to exit … ${duration(progress.elapsedMs)}`;
  return `stopping: ${parts.join(' · ')}`;
}

/** `TCP server 127.0.0.1:3000, 2 timers` */
export function formatOpen(open: readonly OpenResource[]): string {
  return open
    .map((o) => {
      const type = printable(o.type);
      if (o.count !== undefined) return `${o.count} ${type}${o.count > 1 ? 's' : ''}`;
      return o.detail ? `${type} ${printable(o.detail)}` : type;
    })
    .join(', ');
}

/** `pid 4242 (node worker.js) listening on 127.0.0.1:3000` */
export function formatReaped(reaped: readonly Reaped[]): string {
  return reaped
    .map((p) => `pid ${p.pid}${p.command ? ` (${printable(p.command)})` : ''}${p.listening.length > 0 ? ` listening on ${p.listening.join(', ')}` : ''}`)
    .join(', ');
}

/** `restart #7: change in src/db.ts · teardown 318 ms · ready in 402 ms` (with each cleanup when verbose). */
export function restartSummary(options: {
  number: number;
  trigger: Trigger;
  /** Undefined when there was nothing to tear down (the app had crashed). */
  teardownMs: number | undefined;
  readyMs: number | undefined;
  cleanups?: readonly CleanupResult[] | undefined;
  /** What the build step took before the start (all its runs), when there is one. */
  buildMs?: number | undefined;
}): string {
  const cleanups = options.cleanups && options.cleanups.length > 0 ? ` (${options.cleanups.map(describeCleanup).join(', ')})` : '';
  const teardown = options.teardownMs === undefined ? '' : ` · teardown ${options.teardownMs} ms${cleanups}`;
  const build = options.buildMs === undefined ? '' : ` · build ${options.buildMs} ms`;
  const ready = options.readyMs === undefined ? 'started (no ready() call)' : `ready in ${options.readyMs} ms`;
  return `restart #${options.number}: ${describeTrigger(options.trigger)}${teardown}${build} · ${ready}`;
}

// The glyphs devsup's words use, and what stands for each where the terminal cannot show them.
const ASCII: Record<string, string> = { '→': '->', '·': '-', '…': '...', '✓': 'ok', '—': '-', '▶': '>' };
const GLYPHS = new RegExp(`[${Object.keys(ASCII).join('')}]`, 'g');

/**
 * Whether the terminal shows UTF-8: not when the locale (LC_ALL, else LC_CTYPE, else LANG) names another charset,
 * nor with TERM=dumb, nor in Windows' legacy console (no WT_SESSION). An unset locale counts as UTF-8.
 */
export function showsUnicode(env: Record<string, string | undefined>, platform: string = process.platform): boolean {
  if (env.TERM === 'dumb') return false;
  if (platform === 'win32') return env.WT_SESSION !== undefined || env.TERM_PROGRAM === 'vscode';
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  return !locale || /utf-?8/i.test(locale);
}

/** `a → b · c…` as `a -> b - c...`: for a terminal that cannot show the glyphs. */
export function asciiGlyphs(text: string): string {
  return text.replace(GLYPHS, (glyph) => ASCII[glyph] ?? glyph);
}
