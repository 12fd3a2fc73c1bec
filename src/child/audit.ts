// The leak audit of devsup/child: what still keeps the app alive once every cleanup ran, for devsup's teardown
// report. Loaded by index.ts only at shutdown, so that importing devsup/child stays cheap; Node built-ins only.
import { Socket } from 'node:net';
import type { OpenResource } from '../protocol/messages.js';

// What still keeps the process alive once every cleanup ran: a cleanup is probably missing for it. Servers, sockets
// and child processes by address or pid; other resources (timers, …) by kind and count. stdio and our own IPC
// channel are left out (the channel is unref'd, so it is not counted).
interface Handle {
  address?: () => unknown;
  listen?: unknown;
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
  pid?: number;
  spawnargs?: string[];
  stdio?: unknown[];
  exitCode?: number | null;
  signalCode?: string | null;
  listening?: boolean;
  destroyed?: boolean;
  writableEnded?: boolean;
  fd?: number;
  _handle?: { fd?: number; constructor?: { name?: string } } | null;
}
// The resource kinds (getActiveResourcesInfo) that the handles we name individually stand for.
const WRAP_OF: Record<string, string> = { Pipe: 'PipeWrap', TTY: 'TTYWrap', TCP: 'TCPSocketWrap' };
const KIND_NAMES: Record<string, string> = {
  Timeout: 'timer',
  Immediate: 'immediate',
  FSReqCallback: 'file operation',
  FSReqPromise: 'file operation',
  CloseReq: 'file operation',
  // A handle not named one by one above is still named in words, never by libuv's internal name.
  TCPSocketWrap: 'socket',
  TCPWrap: 'socket',
  TCPConnectWrap: 'connecting socket',
  TCPServerWrap: 'TCP server',
  PipeWrap: 'pipe',
  PipeConnectWrap: 'connecting pipe',
  PipeServerWrap: 'pipe server',
  TTYWrap: 'terminal',
  ProcessWrap: 'child process',
  UDPWrap: 'UDP socket',
  TimerWrap: 'timer',
  FSEventWrap: 'file watcher',
  StatWatcher: 'file watcher',
  SignalWrap: 'signal handler',
  GetAddrInfoReqWrap: 'DNS lookup',
  ShutdownWrap: 'socket shutdown',
  WriteWrap: 'socket write',
};

// A file operation (a libuv request, not a handle) ends by itself: one still running right after the cleanups is work
// in progress, not something a cleanup forgot: the app's last async write, or its loader's housekeeping (tsx expires
// its disk cache with fs.promises.opendir() a moment after it starts; from Node 22.22/24.11 on, tsx's hooks run on
// the main thread, so those requests are the app's own). Such requests get up to SETTLE_MS to finish; one still
// pending then (a read of a FIFO nobody writes, say) is reported. A FileHandle's close() (the last step of every
// fs.promises.readFile/writeFile) is a CloseReq: the same kind of work, a moment from done.
const REQUESTS = new Set(['FSReqCallback', 'FSReqPromise', 'CloseReq']);
const SETTLE_MS = 200;

// Likewise a socket a cleanup destroyed or ended (pg's pool.end(), a keep-alive agent's destroy()): its handle closes
// a few ms after the cleanup returned (an ended one once the peer answers). The audit waits, within the same bound,
// until every socket handle left is one nobody is closing; a socket still ending after it is named (it is open).
export async function settle(): Promise<void> {
  const until = performance.now() + SETTLE_MS;
  while (unsettled() && performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function unsettled(): boolean {
  const kinds = process.getActiveResourcesInfo();
  if (kinds.some((kind) => REQUESTS.has(kind) || kind === 'ShutdownWrap')) return true;
  const sockets = activeHandles().filter((handle) => handle instanceof Socket && !isStdio(handle));
  if (sockets.some(closing)) return true;
  // A destroyed socket can leave the handle list before its handle (a "TCPSocketWrap") is gone.
  const tcp = sockets.filter((socket) => socket._handle?.constructor?.name === 'TCP').length;
  return kinds.filter((kind) => kind === 'TCPSocketWrap').length > tcp;
}

function isStdio(handle: Handle): boolean {
  const fd = handle.fd ?? handle._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && fd <= 2;
}

function closing(socket: Handle): boolean {
  return socket.destroyed === true || socket.writableEnded === true;
}

function activeHandles(): Handle[] {
  return (process as unknown as { _getActiveHandles?: () => Handle[] })._getActiveHandles?.() ?? [];
}

export function openResources(): OpenResource[] {
  const found: OpenResource[] = [];
  const accounted: string[] = [];
  const handles = activeHandles();
  // A running child process's stdio pipes are part of it: named with it, not counted apart as "1 PipeWrap".
  const childPipes = new Set(handles.filter(isRunningChild).flatMap((child) => child.stdio ?? []));
  for (const handle of handles) {
    if (childPipes.has(handle)) {
      accounted.push('PipeWrap');
      continue;
    }
    // stdio (fd 0-2) is not a leak; compared by fd, since touching process.stdin would open it. A terminal's streams
    // (tty.WriteStream) carry the fd themselves, a pipe's on its handle.
    if (isStdio(handle)) {
      accounted.push(WRAP_OF[handle._handle?.constructor?.name ?? ''] ?? '');
    } else if (typeof handle.address === 'function' && handle.listen !== undefined) {
      accounted.push(handle._handle?.constructor?.name === 'Pipe' ? 'PipeServerWrap' : 'TCPServerWrap');
      // A server whose close() was called is on its way out (its handle closes a moment later): not a leak.
      if (handle.listening !== false) found.push({ type: 'TCP server', detail: formatAddress(handle.address()) });
    } else if (handle.remoteAddress !== undefined) {
      accounted.push('TCPSocketWrap');
      if (!handle.destroyed) found.push({ type: 'socket', detail: `${handle.localAddress}:${handle.localPort} → ${handle.remoteAddress}:${handle.remotePort}` });
    } else if (typeof handle.pid === 'number' && Array.isArray(handle.spawnargs)) {
      accounted.push('ProcessWrap');
      // Likewise a child process that has exited, whose handle is still closing.
      if (isRunningChild(handle)) found.push({ type: 'child process', detail: `pid ${handle.pid} (${handle.spawnargs.join(' ')})` });
    }
  }
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    const at = accounted.indexOf(kind);
    if (at !== -1) {
      accounted.splice(at, 1);
      continue;
    }
    const name = KIND_NAMES[kind] ?? kind;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const [type, count] of counts) found.push({ type, count });
  return found;
}

function isRunningChild(handle: Handle): boolean {
  if (typeof handle.pid !== 'number' || !Array.isArray(handle.spawnargs)) return false;
  return (handle.exitCode ?? null) === null && (handle.signalCode ?? null) === null;
}

function formatAddress(address: unknown): string | undefined {
  if (typeof address === 'string') return address;
  if (address && typeof address === 'object' && 'port' in address) {
    const { address: host, port, family } = address as { address: string; port: number; family: string };
    return family === 'IPv6' ? `[${host}]:${port}` : `${host}:${port}`;
  }
  return undefined;
}
