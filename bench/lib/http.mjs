// Black-box probes: a fresh connection per request (agent: false, so no keep-alive connection holds an old server
// open), 127.0.0.1 only, short timeouts.
import http from 'node:http';
import net from 'node:net';
import { sleep, wall } from './proc.mjs';

/** A port the OS says is free now: listen on 0, read it, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** One GET; resolves { ok, body } (never rejects). */
export function probe(port, timeoutMs = 250) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value) => {
      if (!done) {
        done = true;
        resolve(value);
      }
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => finish({ ok: res.statusCode === 200, body }));
      res.on('error', () => finish({ ok: false }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => finish({ ok: false, error: error.code ?? error.message }));
  });
}

/**
 * Polls every `everyMs` until an answer's body satisfies `accept`; resolves { t, body } with the wall time the
 * answer arrived, or null after `timeoutMs`. `shouldStop()` ends the wait early (e.g. the tool exited).
 */
export async function waitForAnswer(port, accept, { timeoutMs, everyMs = 5, shouldStop = () => false }) {
  const deadline = wall() + timeoutMs;
  while (wall() < deadline) {
    const before = wall();
    const r = await probe(port, Math.min(250, Math.max(20, deadline - before)));
    const t = wall();
    if (r.ok && accept(r.body)) return { t, body: r.body };
    if (shouldStop()) return null;
    await sleep(everyMs - (t - before));
  }
  return null;
}
