// devsup's own log: pino underneath, short human lines on stderr by default, one JSON object a line with --log-format json.
// stdout belongs to the app; devsup never writes there.
import { pino, type Logger } from 'pino';
import { styleText } from 'node:util';
import type { LogFormat, LogLevel } from '../config/schema.js';

export type { LogFormat, LogLevel };
export type { Logger };

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go; stderr unless a test or an embedding framework says otherwise. */
  stream?: { write(line: string): unknown };
  color?: boolean;
}

type Style = Parameters<typeof styleText>[0];
const LEVEL_STYLE: Record<number, Style | undefined> = { 20: 'dim', 40: 'yellow', 50: 'red', 60: 'red' };

// Human output: pino still builds the record (so fields and levels are the same in both formats); we print its message.
// On a terminal it also keeps one status line (live teardown progress) below the log, redrawn in place.
function humanStream(out: { write(line: string): unknown; columns?: number }, color: boolean, terminal: boolean) {
  let status: string | undefined;
  const clear = () => out.write('\r\x1b[2K');
  return {
    write(record: string) {
      const { level, msg } = JSON.parse(record) as { level: number; msg?: string };
      const line = `[devsup] ${msg ?? ''}`;
      const style = color ? LEVEL_STYLE[level] : undefined;
      if (status !== undefined) clear();
      out.write(`${style ? styleText(style, line) : line}\n`);
      if (status !== undefined) out.write(status);
    },
    status(text: string | undefined) {
      if (!terminal) return;
      if (status !== undefined) clear();
      // Cut to the terminal's width: a wrapped line could not be redrawn in place.
      const line = text === undefined ? undefined : `[devsup] ${text}`.slice(0, Math.max(20, (out.columns || 80) - 1));
      status = line === undefined ? undefined : color ? styleText('dim', line) : line;
      if (status !== undefined) out.write(status);
    },
  };
}

const statusLines = new WeakMap<Logger, (text: string | undefined) => void>();

/** The terminal's status line of this logger, if it has one (human format, on a TTY, at info level or below). */
export function statusLine(logger: Logger): ((text: string | undefined) => void) | undefined {
  return statusLines.get(logger);
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stderr;
  const onTerminal = out === process.stderr && process.stderr.isTTY === true;
  const color = options.color ?? (onTerminal && process.stderr.hasColors?.() === true);
  const human = options.format === 'human' ? humanStream(out, color, onTerminal) : undefined;
  const logger = pino(
    { level: options.level, base: options.format === 'json' ? { name: 'devsup' } : null, timestamp: options.format === 'json' },
    human ?? out,
  );
  if (human && onTerminal && (options.level === 'debug' || options.level === 'info')) {
    statusLines.set(logger, (text) => human.status(text));
  }
  return logger;
}
