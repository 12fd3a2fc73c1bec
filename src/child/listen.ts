// Part of the preload (guard.ts): the app's own `server.listen(3000)` on a port devsup holds (--socket) takes the
// inherited socket instead of binding one, so that no line of the app changes. node:http, node:https, node:net and
// what is built on them (Express's app.listen, Fastify, Koa, NestJS) all listen through net.Server.prototype.listen.
// Each listen on a TCP port is reported to devsup (`listen`): devsup says once when a port is not held, or held for
// another host. The servers the app listens with are kept (servers) for the graceful stop (drain.ts). Node built-ins only.
import net from 'node:net';
import { isRecord } from '../protocol/is-record.js';

interface Held {
  fd: number;
  port: number;
  host: string | null;
}

/** Every server the app listens with, on a held socket or not, while devsup holds sockets (for drain.ts). */
export const servers = new Set<net.Server>();

const parseHeld = (raw: string | undefined): Held[] => {
  try {
    const parsed = raw ? (JSON.parse(raw) as unknown) : [];
    return Array.isArray(parsed) ? (parsed as Held[]).filter((h) => Number.isInteger(h?.fd) && Number.isInteger(h?.port)) : [];
  } catch {
    return [];
  }
};

// Only devsup's own child takes the sockets (LISTEN_PID, as the protocol says): a process the app forks inherits the
// variables, and the preload with node's flags, but its fd 3 is something else. devsup cannot know the pid before the
// spawn; the preload sets it, for the app's own code and its forks to read.
const direct = Number(process.env.DEVSUP_PID) === process.ppid;
const mine = process.env.LISTEN_PID === undefined || process.env.LISTEN_PID === String(process.pid);
export const held: Held[] = direct && mine ? parseHeld(process.env.DEVSUP_SOCKETS) : [];
if (held.length > 0) process.env.LISTEN_PID = String(process.pid);
/** The fds taken so far: a second listen on the same port binds as it would without devsup (EADDRINUSE). */
const taken = new Set<number>();

type ListenArgs = unknown[];

// What Node's own normalizeArgs reads: a port (a number, or a string of digits) and a host, or something else.
function portAndHost(args: ListenArgs): { port: number; host: string | undefined; signal?: unknown } | undefined {
  const [first, second] = args;
  const asPort = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? Number(v) : undefined);
  if (isRecord(first)) {
    if ('fd' in first || 'path' in first || 'handle' in first || '_handle' in first) return undefined;
    const port = asPort(first.port);
    return port === undefined ? undefined : { port, host: typeof first.host === 'string' ? first.host : undefined, signal: first.signal };
  }
  const port = asPort(first);
  return port === undefined ? undefined : { port, host: typeof second === 'string' ? second : undefined };
}

const report = (port: number, host: string | undefined, isHeld: boolean) => {
  if (!direct || !process.connected || typeof process.send !== 'function') return;
  try {
    process.send({ devsup: 1, type: 'listen', port, ...(host === undefined ? {} : { host }), held: isHeld });
  } catch {
    // the channel is going: nobody to tell
  }
};

// EADDRINUSE: devsup names who holds the port. Told as the error is emitted, before the app (most often) dies of it; the
// error itself goes on exactly as without devsup (no listener is added: an app that handles none still crashes).
const watched = new WeakSet<net.Server>();
function watchInUse(server: net.Server, port: number): void {
  if (watched.has(server)) return;
  watched.add(server);
  const emit = server.emit as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function (this: net.Server, event: string | symbol, ...rest: unknown[]) {
    if (event === 'error' && (rest[0] as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' && direct && process.connected) {
      try {
        process.send?.({ devsup: 1, type: 'listen-failed', port, code: 'EADDRINUSE' });
      } catch {
        // the channel is going: nobody to tell
      }
    }
    return emit.call(this, event, ...rest);
  } as typeof server.emit;
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (this: net.Server, ...args: ListenArgs) {
  if (held.length > 0 && !servers.has(this)) {
    servers.add(this);
    this.once('close', () => servers.delete(this));
  }
  const asked = portAndHost(args);
  const socket = asked && asked.port > 0 ? held.find((h) => h.port === asked.port && !taken.has(h.fd)) : undefined;
  if (asked && asked.port > 0) report(asked.port, asked.host, socket !== undefined);
  if (asked && asked.port > 0 && !socket) watchInUse(this, asked.port);
  if (!socket) return (listen as (...a: ListenArgs) => net.Server).apply(this, args);
  taken.add(socket.fd);
  const callback = args.findLast((a) => typeof a === 'function');
  const options = { fd: socket.fd, ...(asked?.signal === undefined ? {} : { signal: asked.signal }) };
  return (listen as (...a: ListenArgs) => net.Server).call(this, options, ...(callback ? [callback] : []));
} as typeof net.Server.prototype.listen;
