// devsup's own log: pino underneath, short human lines on stderr by default, one JSON object a line with --log-format json.
// stdout belongs to the app; devsup never writes there.
import { pino, type Logger } from 'pino';
import { styleText } from 'node:util';

export type LogFormat = 'human' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
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
function humanStream(out: { write(line: string): unknown }, color: boolean) {
  return {
    write(record: string) {
      const { level, msg } = JSON.parse(record) as { level: number; msg?: string };
      const line = `[devsup] ${msg ?? ''}`;
      const style = color ? LEVEL_STYLE[level] : undefined;
      out.write(`${style ? styleText(style, line) : line}\n`);
    },
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.stream ?? process.stderr;
  const color = options.color ?? (out === process.stderr && process.stderr.hasColors?.() === true);
  const destination = options.format === 'json' ? out : humanStream(out, color);
  return pino(
    { level: options.level, base: options.format === 'json' ? { name: 'devsup' } : null, timestamp: options.format === 'json' },
    destination,
  );
}
