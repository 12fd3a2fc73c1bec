// The "requests during restarts" client: a fresh connection (agent: false) every `everyMs` with one GET on it, each
// one's end counted: answered (by body), or failed by kind — refused (ECONNREFUSED: nothing listening), reset
// (ECONNRESET/EPIPE: accepted, then dropped), timeout (no answer within `timeoutMs`), other.
import http from 'node:http';

export function startTraffic(port, { everyMs = 10, timeoutMs = 5_000 } = {}) {
  const t = { sent: 0, answered: 0, failed: { refused: 0, reset: 0, timeout: 0, other: 0 }, bodies: new Map() };
  const pending = new Set();
  const one = () =>
    new Promise((resolve) => {
      t.sent++;
      let done = false;
      const end = (kind, body) => {
        if (done) return;
        done = true;
        if (kind) t.failed[kind]++;
        else {
          t.answered++;
          t.bodies.set(body, (t.bodies.get(body) ?? 0) + 1);
        }
        resolve();
      };
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => end(undefined, body));
        res.on('error', () => end('reset'));
      });
      req.on('timeout', () => {
        end('timeout');
        req.destroy();
      });
      req.on('error', (error) =>
        end(error.code === 'ECONNREFUSED' ? 'refused' : error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'other'),
      );
    });
  const timer = setInterval(() => {
    const p = one();
    pending.add(p);
    p.then(() => pending.delete(p));
  }, everyMs);
  return {
    traffic: t,
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
      return t;
    },
  };
}
