// Part of the preload (guard.ts), only while devsup holds sockets for the app: a graceful stop for an app that
// registered nothing. An app with neither devsup/child nor a SIGTERM handler of its own would die at devsup's SIGTERM
// with requests half answered. Instead, at that SIGTERM every server it listened with stops accepting (what it had
// not accepted waits in devsup's socket for the next app), the requests under way finish, idle keep-alive
// connections are closed; then the SIGTERM is raised again, with no handler left, and the app ends by it as it
// would have. A second SIGTERM (devsup's ladder, past the stop timeout) ends it at once. An app that handles the stop
// itself (devsup/child, or a SIGTERM listener of its own) is left alone. Node built-ins only.
import type { Server } from 'node:http';
import { held, servers } from './listen.js';

const sdk = Symbol.for('devsup.child.registry');
// How often idle keep-alive connections are closed while the servers drain (a request that ends leaves one).
const SWEEP_MS = 50;

function drain(): void {
  const own = process.listeners('SIGTERM').some((listener) => listener !== drain);
  if (own || (globalThis as Record<symbol, unknown>)[sdk]) return;
  process.off('SIGTERM', drain);
  const open = [...servers].filter((server) => server.listening);
  const end = (): void => void process.kill(process.pid, 'SIGTERM');
  if (open.length === 0) return end();
  let left = open.length;
  const sweep = () => {
    for (const server of open) (server as Partial<Server>).closeIdleConnections?.call(server);
  };
  setInterval(sweep, SWEEP_MS).unref();
  for (const server of open) server.close(() => --left === 0 && end());
  sweep();
}

if (held.length > 0) process.on('SIGTERM', drain);
