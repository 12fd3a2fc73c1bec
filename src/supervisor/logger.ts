// devsup's own log: short human lines on stderr by default, or one JSON object a line (pino) with --log-format json.
// stdout belongs to the app; devsup never writes there. pino is loaded only for JSON: it is ~60 ms of devsup's start.
import { createRequire } from 'node:module';
import { styleText } from 'node:util';
import type { LogFormat, LogLevel } from '../config/schema.js';

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
  color?: boolean;
}

type Level = Exclude<LogLevel, 'silent'>;
const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };
type Style = Parameters<typeof styleText>[0];
const LEVEL_STYLE: Record<Level, Style | undefined> = { debug: 'dim', info: undefined, warn: 'yellow', error: 'red' };

const statusLines = new WeakMap<Logger, (text: string | undefined) => void>();

/** The terminal's status line of this logger, if it has one (human format, on a TTY, at info level or below). */
export function statusLine(logger: Logger): ((text: string | undefined) => void) | undefined {
  return statusLines.get(logger);
}

// Human output: `[devsup] message`, coloured by level on a terminal. On a terminal it also keeps one status line
// (live teardown progress) below the log, redrawn in place.
function humanLogger(out: { write(line: string): unknown; columns?: number }, level: LogLevel, color: boolean, terminal: boolean): Logger {
  let status: string | undefined;
  const clear = () => out.write('\r\x1b[2K');
  const method = (name: Level): LogFn =>
    ((fields: object | string, message?: string) => {
      if (LEVELS[name] < LEVELS[level]) return;
      const line = `[devsup] ${typeof fields === 'string' ? fields : (message ?? '')}`;
      const style = color ? LEVEL_STYLE[name] : undefined;
      if (status !== undefined) clear();
      out.write(`${style ? styleText(style, line) : line}\n`);
      if (status !== undefined) out.write(status);
    }) as LogFn;
  const logger: Logger = { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
  if (terminal && LEVELS[level] <= LEVELS.info) {
    statusLines.set(logger, (text) => {
      if (status !== undefined) clear();
      // Cut to the terminal's width: a wrapped line could not be redrawn in place.
      const line = text === undefined ? undefined : `[devsup] ${text}`.slice(0, Math.max(20, (out.columns || 80) - 1));
      status = line === undefined ? undefined : color ? styleText('dim', line) : line;
      if (status !== undefined) out.write(status);
    });
  }
  return logger;
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stderr;
  const onTerminal = out === process.stderr && process.stderr.isTTY === true;
  if (options.format === 'human') {
    const color = options.color ?? (onTerminal && process.stderr.hasColors?.() === true);
    return humanLogger(out, options.level, color, onTerminal);
  }
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  return pino({ level: options.level, base: { name: 'devsup' }, timestamp: true }, out);
}
