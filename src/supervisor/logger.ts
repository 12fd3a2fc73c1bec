// devsup's own log: short human lines on stderr by default, or one JSON object a line (pino) with --log-format json.
// stdout belongs to the app; devsup never writes there. pino is loaded only for JSON: it is ~60 ms of devsup's start.
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { styleText } from 'node:util';
import type { LogFormat, LogLevel } from '../config/schema.js';
import { asciiGlyphs, printable, showsUnicode } from './narrator.js';

export type { LogFormat, LogLevel };

/** One level's method: a message, or the record's fields and its message (pino's calling convention). */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/** What devsup logs through; a pino logger is one (pass your own to createSupervisor). */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go; stderr unless a test or an embedding framework says otherwise. */
  stream?: { write(line: string): unknown };
  /** Colour by level: --color / --no-color; else NO_COLOR, FORCE_COLOR, then whether stderr is a colour terminal. */
  color?: boolean;
  /** Where the variables above (and the locale, for the glyphs) are read; process.env by default. */
  env?: Record<string, string | undefined>;
}

/** --color / --no-color first; then NO_COLOR (set, not empty: none), FORCE_COLOR (0/false: none; else colour, piped too). */
export function wantsColor(flag: boolean | undefined, env: Record<string, string | undefined>, colorTerminal: boolean): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR);
  return colorTerminal;
}

type Level = Exclude<LogLevel, 'silent'>;
const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };
type Style = Parameters<typeof styleText>[0];
const LEVEL_STYLE: Record<Level, Style | undefined> = { debug: 'dim', info: undefined, warn: 'yellow', error: 'red' };

// Whether to colour is decided here (wantsColor): styleText must not decide again from stdout's own terminal.
const paint = (style: Style, text: string) => styleText(style, text, { validateStream: false });

const statusLines = new WeakMap<Logger, (text: string | undefined) => void>();

/** The terminal's status line of this logger, if it has one (human format, on a TTY, at info level or below). */
export function statusLine(logger: Logger): ((text: string | undefined) => void) | undefined {
  return statusLines.get(logger);
}

// Human output: `[devsup] message`, coloured by level on a terminal. On a terminal it also keeps one status line
// (live teardown progress) below the log, redrawn in place.
function humanLogger(sink: { write(line: string): unknown; columns?: number }, level: LogLevel, color: boolean, terminal: boolean, unicode: boolean): Logger {
  let status: string | undefined;
  const words = (text: string) => (unicode ? text : asciiGlyphs(text));
  const out = { write: (text: string) => writeOwn(sink, text), columns: sink.columns };
  const clear = () => out.write('\r\x1b[2K');
  const method = (name: Level): LogFn =>
    ((fields: object | string, message?: string) => {
      if (LEVELS[name] < LEVELS[level]) return;
      // Escaped as a last line of defence: no path or name in any message can start a line of its own.
      const line = `[devsup] ${words(printable(typeof fields === 'string' ? fields : (message ?? '')))}`;
      const style = color ? LEVEL_STYLE[name] : undefined;
      if (status !== undefined) clear();
      out.write(`${style ? paint(style, line) : line}\n`);
      if (status !== undefined) out.write(status);
    }) as LogFn;
  const logger: Logger = { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
  if (terminal && LEVELS[level] <= LEVELS.info) {
    statusLines.set(logger, (text) => {
      if (status !== undefined) clear();
      // Cut to the terminal's width: a wrapped line could not be redrawn in place.
      const line = text === undefined ? undefined : `[devsup] ${words(printable(text))}`.slice(0, Math.max(20, (out.columns || 80) - 1));
      status = line === undefined ? undefined : color ? paint('dim', line) : line;
      if (status !== undefined) out.write(status);
    });
  }
  return logger;
}

// devsup's own output can go away under it: a log reader that ended (`devsup … 2>&1 | cat`, then cat killed), a
// terminal window closed (the pty's master gone: writes fail with EIO). Neither may cost the app its cleanups: the
// write error is swallowed, devsup stops writing to that stream, and the stop goes on as it would have.
const broken = new WeakSet<object>();

/** Whether devsup's writes to `stream` failed once (then it writes no more there). */
export function outputGone(stream: object = process.stderr): boolean {
  return broken.has(stream);
}

/** Marks `stream` gone at its first error, instead of the error being thrown (an uncaught 'error' event). */
export function tolerateWriteErrors(stream: NodeJS.EventEmitter): void {
  if (!stream.listeners('error').includes(markBroken)) stream.on('error', markBroken);
}
function markBroken(this: object): void {
  broken.add(this);
}

// Which of stdin, stdout, stderr were terminals when devsup started.
const terminals = [0, 1, 2].filter((fd) => isatty(fd));

/**
 * At exit: closes each of fds 0–2 that was a terminal and is one no more (hung up: the pty's master closed, and
 * the tty answers every ioctl with EIO). Node's own exit restores a terminal's modes (ResetStdio) and aborts when
 * that fails (SIGABRT or SIGSEGV, skipping the exit code); a closed fd it skips.
 */
export function letGoOfHungTerminal(): void {
  for (const fd of terminals) {
    if (isatty(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
  }
}

/** One write of devsup's own, never throwing: a stream that failed once is written no more. */
function writeOwn(stream: { write(line: string): unknown }, text: string): void {
  if (broken.has(stream)) return;
  try {
    stream.write(text);
  } catch {
    broken.add(stream);
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stderr;
  if (out === process.stderr) tolerateWriteErrors(process.stderr);
  const onTerminal = out === process.stderr && process.stderr.isTTY === true;
  if (options.format === 'human') {
    const env = options.env ?? process.env;
    // hasColors() with {} as its env: NO_COLOR and FORCE_COLOR are decided above, for a pipe too.
    const color = wantsColor(options.color, env, onTerminal && process.stderr.hasColors?.({}) === true);
    // The ASCII fallback is for a terminal that cannot show the glyphs; a pipe or a file (a log, CI) keeps them.
    return humanLogger(out, options.level, color, onTerminal, !onTerminal || showsUnicode(env));
  }
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  return pino({ level: options.level, base: { name: 'devsup' }, timestamp: true }, out);
}
