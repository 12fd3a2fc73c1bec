// A client that opens a fresh connection every `everyMs` and sends one GET on it (or, `tcp`, reads what the server
// writes until it ends the connection), counting how each one ended: the answer, or the failure by kind (refused,
// reset, timeout, other). For the held sockets' tests.
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { connect } from 'node:net';

export interface Traffic {
  sent: number;
  answered: number;
  failed: { refused: number; reset: number; timeout: number; other: number };
  /** The answers' bodies, counted. */
  bodies: Map<string, number>;
}

export function failures(t: Traffic): number {
  return t.failed.refused + t.failed.reset + t.failed.timeout + t.failed.other;
}

/** Starts the traffic; stop() ends it once every request under way has ended, and returns the counts. */
export function startTraffic(port: number, { everyMs = 10, timeoutMs = 15_000, host = '127.0.0.1', path = '/', protocol = 'http' as 'http' | 'https' | 'tcp' } = {}) {
  const t: Traffic = { sent: 0, answered: 0, failed: { refused: 0, reset: 0, timeout: 0, other: 0 }, bodies: new Map() };
  const pending = new Set<Promise<void>>();
  const one = () =>
    new Promise<void>((resolve) => {
      t.sent++;
      let done = false;
      const end = (kind?: keyof Traffic['failed'], body?: string) => {
        if (done) return;
        done = true;
        if (kind) t.failed[kind]++;
        else {
          t.answered++;
          t.bodies.set(body!, (t.bodies.get(body!) ?? 0) + 1);
        }
        resolve();
      };
      const failed = (error: NodeJS.ErrnoException) =>
        end(error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'other');
      if (protocol === 'tcp') {
        const socket = connect({ host, port, timeout: timeoutMs });
        let body = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (body += chunk));
        socket.on('end', () => end(undefined, body));
        socket.on('timeout', () => {
          end('timeout');
          socket.destroy();
        });
        socket.on('error', failed);
        return;
      }
      // agent: false: a fresh connection for each request, closed after it.
      const send = protocol === 'https' ? requestTls : request;
      const req = send({ host, port, path, agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => end(undefined, body));
        res.on('error', () => end('reset'));
      });
      req.on('timeout', () => {
        end('timeout');
        req.destroy();
      });
      req.on('error', failed);
      req.end();
    });
  const timer = setInterval(() => {
    const p = one();
    pending.add(p);
    void p.then(() => pending.delete(p));
  }, everyMs);
  return {
    traffic: t,
    async stop(): Promise<Traffic> {
      clearInterval(timer);
      await Promise.all([...pending]);
      return t;
    },
  };
}
