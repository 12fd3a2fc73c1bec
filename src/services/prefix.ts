// Output of a services run: each line of each service's app prefixed with its name (padded to the longest, in a
// colour of its own on a terminal; none with NO_COLOR or when piped), and devsup's own lines for it named too.
import { Transform, type Writable } from 'node:stream';
import { inspect } from 'node:util';
import type { Logger, LogFn } from '../supervisor/logger.js';

// ANSI codes directly: whether to colour is decided here (util.styleText would look at stdout again).
const COLOURS = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'] as const;
const paint = (colour: (typeof COLOURS)[number], text: string) => {
  const [on, off] = inspect.colors[colour]!;
  return `\x1b[${on}m${text}\x1b[${off}m`;
};

/** Whether a services run colours its prefixes on this stream: a terminal with colours, and no NO_COLOR. */
export function wantsColour(stream: Writable & { isTTY?: boolean; hasColors?: () => boolean }, env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && stream.hasColors?.() === true;
}

/** The label of the `index`-th service: its name padded to `width`, coloured when `colour`. */
export function label(name: string, index: number, width: number, colour: boolean): string {
  const padded = name.padEnd(width);
  return colour ? paint(COLOURS[index % COLOURS.length]!, padded) : padded;
}

/**
 * Prefixes each line with `prefix`. A line is passed on once it ends; what is left without a newline goes on after
 * `holdMs` (a prompt), or at the end.
 */
export function linePrefixer(prefix: string, holdMs = 100): Transform {
  let partial = '';
  let timer: NodeJS.Timeout | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      clearTimeout(timer);
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      if (lines.length > 0) this.push(lines.map((line) => `${prefix}${line}\n`).join(''));
      if (partial !== '') {
        timer = setTimeout(() => {
          out.push(`${prefix}${partial}\n`);
          partial = '';
        }, holdMs);
        timer.unref();
      }
      done();
    },
    flush(done) {
      clearTimeout(timer);
      if (partial !== '') this.push(`${prefix}${partial}\n`);
      partial = '';
      done();
    },
  });
  return out;
}

/** devsup's lines about one service: `[devsup] api: …` (human), or a `service` field (JSON). */
export function serviceLogger(base: Logger, name: string, shown: string, human: boolean): Logger {
  // Called on `base` (pino's methods need their logger as `this`).
  const method = (level: keyof Logger): LogFn =>
    ((fields: object | string, message?: string) => {
      const [f, m] = typeof fields === 'string' ? [{}, fields] : [fields, message ?? ''];
      base[level]({ ...f, service: name }, human ? `${shown}: ${m}` : m);
    }) as LogFn;
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}
