// The held sockets (--socket, `sockets`): devsup binds each one before the first start and keeps it listening for its
// whole life; every generation of the app inherits them as fds 3, 4, … (the systemd socket-activation protocol:
// LISTEN_FDS, LISTEN_FDNAMES; LISTEN_PID is the app's own pid, set by the preload for a Node app). Connections that
// arrive while no app accepts wait in the kernel's backlog for the next one: none is refused during a restart.
//
// devsup must hold a listening socket without ever accepting on it: a net.Server in devsup's own event loop would
// take connections meant for the app. So the sockets are bound and listened on in a worker thread that then blocks
// (Atomics.wait): its event loop never runs again, nothing in it accepts, and the fds, which belong to the process,
// stay open until close() wakes it. Linux and macOS (the fd is passed as a stdio entry); not Windows.
import { Worker } from 'node:worker_threads';
import { readdir } from 'node:fs/promises';
import type { SocketSpec } from '../config/schema.js';
import { DevsupError } from '../core/errors.js';
import { commandOf, listeningAddresses } from './reap.js';

/** What the preload reads (DEVSUP_SOCKETS): each held socket's fd, port and host as declared. */
export interface HeldSocket {
  fd: number;
  port: number;
  host: string | null;
  /** The address the kernel bound ("::", "127.0.0.1"). */
  address: string;
}

// The worker's code (CommonJS, eval'ed): binds every socket, reports the fds (or the first error), then blocks.
const HOLDER = `
const { workerData, parentPort } = require('node:worker_threads');
const net = require('node:net');
const flag = new Int32Array(workerData.flag);
const servers = [];
let left = workerData.specs.length;
let failed = false;
workerData.specs.forEach((spec, index) => {
  const server = net.createServer();
  servers.push(server);
  server.once('error', (error) => {
    if (failed) return;
    failed = true;
    parentPort.postMessage({ error: { index, code: error.code, message: error.message } });
    for (const s of servers) s.close();
  });
  server.listen({ port: spec.port, host: spec.host, backlog: 511 }, () => {
    if (--left > 0 || failed) return;
    parentPort.postMessage({ held: servers.map((s) => ({ fd: s._handle.fd, address: s.address().address })) });
    while (Atomics.load(flag, 0) === 0) Atomics.wait(flag, 0, 0);
    for (const s of servers) s.close();
  });
});
`;

/** A socket as a person reads it: http://localhost:3000, http://127.0.0.1:3000, http://[::1]:3000. */
export function socketUrl(spec: SocketSpec): string {
  const host = spec.host === undefined ? 'localhost' : spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  return `http://${host}:${spec.port}`;
}

const shown = (spec: SocketSpec) => (spec.host === undefined ? `port ${spec.port}` : `${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`);

export class HeldSockets {
  readonly specs: readonly SocketSpec[];
  readonly held: readonly HeldSocket[];
  readonly #worker: Worker;
  readonly #flag: Int32Array;

  private constructor(specs: readonly SocketSpec[], held: HeldSocket[], worker: Worker, flag: Int32Array) {
    this.specs = specs;
    this.held = held;
    this.#worker = worker;
    this.#flag = flag;
  }

  /** Binds and listens on every socket, or throws the one line a person needs (who holds a taken port; exit code 2). */
  static async bind(specs: readonly SocketSpec[]): Promise<HeldSockets> {
    if (process.platform === 'win32') {
      throw new DevsupError('SOCKETS_UNSUPPORTED', '--socket is not supported on Windows', { hint: 'let the app bind its port itself' });
    }
    const buffer = new SharedArrayBuffer(4);
    const worker = new Worker(HOLDER, { eval: true, workerData: { specs: specs.map((s) => ({ port: s.port, host: s.host })), flag: buffer } });
    worker.unref();
    const answer = await new Promise<{ held?: { fd: number; address: string }[]; error?: { index: number; code?: string; message: string } }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    if (answer.error || !answer.held) {
      await worker.terminate();
      const { index, code, message } = answer.error ?? { index: 0, message: 'unknown error' };
      throw await bindError(specs[index]!, code, message);
    }
    const held = answer.held.map((h, i) => ({ fd: h.fd, port: specs[i]!.port, host: specs[i]!.host ?? null, address: h.address }));
    return new HeldSockets(specs, held, worker, new Int32Array(buffer));
  }

  /** The stdio entries after stdin, stdout and stderr: the held fds, in order (fd 3, 4, …). */
  get fds(): number[] {
    return this.held.map((h) => h.fd);
  }

  /** The variables every generation of the app gets (LISTEN_PID is left to the preload: see child/listen.ts). */
  env(): Record<string, string> {
    return {
      LISTEN_FDS: String(this.held.length),
      LISTEN_FDNAMES: this.held.map((h) => String(h.port)).join(':'),
      DEVSUP_SOCKETS: JSON.stringify(this.held.map((h, i) => ({ fd: 3 + i, port: h.port, host: h.host }))),
    };
  }

  /** Stops listening: the worker wakes and closes the sockets. */
  async close(): Promise<void> {
    Atomics.store(this.#flag, 0, 1);
    Atomics.notify(this.#flag, 0);
    await this.#worker.terminate();
  }
}

async function bindError(spec: SocketSpec, code: string | undefined, message: string): Promise<DevsupError> {
  if (code === 'EADDRINUSE') {
    const holder = await holderOf(spec.port);
    const who = holder ? `held by pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}` : 'held by another process';
    return new DevsupError('SOCKET_TAKEN', `cannot hold ${shown(spec)} (--socket): it is ${who}`, { hint: 'stop it, or hold another port' });
  }
  if (code === 'EACCES') {
    return new DevsupError('SOCKET_DENIED', `cannot hold ${shown(spec)} (--socket): permission denied`, { hint: 'ports below 1024 need privileges; use one above' });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new DevsupError('SOCKET_HOST', `cannot hold ${shown(spec)} (--socket): ${spec.host} is not an address of this machine`, { hint: 'e.g. 127.0.0.1:3000, or the port alone' });
  }
  return new DevsupError('SOCKET_FAILED', `cannot hold ${shown(spec)} (--socket): ${message}`);
}

/** The process listening on `port`, and its command (Linux: /proc; elsewhere, or another user's process: undefined). */
export async function holderOf(port: number): Promise<{ pid: number; command: string } | undefined> {
  if (process.platform !== 'linux') return undefined;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
  const listening = await listeningAddresses(pids.filter((pid) => pid !== process.pid));
  for (const [pid, addresses] of listening) {
    if (addresses.some((a) => a.endsWith(`:${port}`))) return { pid, command: await commandOf(pid) };
  }
  return undefined;
}
