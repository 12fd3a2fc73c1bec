// What devsup says when the app listens on a TCP port (the preload's `listen` report, child/listen.ts): once, a hint
// that --socket would hold a port it does not hold; once per port, a warning when the app asked for another host than
// the one devsup holds (it serves on the held socket all the same). Pure: the words and the once.
import type { SocketSpec } from '../config/schema.js';

const WILDCARD = new Set(['', '0.0.0.0', '::', '[::]']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
const kind = (host: string | undefined) =>
  host === undefined || WILDCARD.has(host) ? '*' : LOOPBACK.has(host.toLowerCase()) ? 'loopback' : host.toLowerCase();
const where = (host: string | undefined, port: number) =>
  host === undefined || WILDCARD.has(host) ? `port ${port} (all interfaces)` : `${host.includes(':') ? `[${host}]` : host}:${port}`;

export class ListenHints {
  #hinted = false;
  readonly #warned = new Set<number>();

  /** The line to log for this report, if any, and at which level. */
  line(report: { port: number; host?: string; held: boolean }, specs: readonly SocketSpec[]): { level: 'info' | 'warn'; text: string } | undefined {
    const { port, host } = report;
    if (!report.held) {
      if (this.#hinted) return undefined;
      this.#hinted = true;
      return { level: 'info', text: `the app listens on port ${port}: with --socket ${port} devsup holds it, and no request is refused while the app restarts` };
    }
    const spec = specs.find((s) => s.port === port);
    if (!spec || kind(spec.host) === kind(host) || this.#warned.has(port)) return undefined;
    this.#warned.add(port);
    return {
      level: 'warn',
      text: `the app asked to listen on ${where(host, port)}, devsup holds ${where(spec.host, port)}: it serves on the held socket (--socket ${host && !WILDCARD.has(host) ? `${host.includes(':') ? `[${host}]` : host}:` : ''}${port} to match)`,
    };
  }
}
