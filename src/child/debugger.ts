// With the inspector open (--inspect, --inspect-brk, VS Code's auto attach), the preload tells devsup what only the
// app's process can know.
// - Under --inspect-brk (or --inspect-wait), when the app's code has run for devsup's readyTimeout with the time it
//   was paused in the debugger left out (the break on its first line, a breakpoint): devsup then counts an app that
//   never calls ready() as ready, as the ready timeout does otherwise. The wait for a debugger is not counted either:
//   Node runs no preload before one attaches.
// - As the process exits with a debugger attached, its exit code: Node keeps such a process until the debugger
//   disconnects ("Waiting for the debugger to disconnect..."), its code done, and devsup ends it at once.
// Only for the app devsup started (not a fork or a cluster worker of it, which inherit the preload).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nodeOptionsFlags, waitsForDebugger } from '../protocol/inspector-flags.js';
import { socketInode, tablePort, TCP_ESTABLISHED, TCP_TABLES, tcpRows, type TcpRow } from '../protocol/proc-net.js';

// A Node built without the inspector has no node:inspector to load (and no debugger to wait for).
const inspector: typeof import('node:inspector') | undefined = process.features.inspector ? createRequire(import.meta.url)('node:inspector') : undefined;
// A tick later than this means the main thread was stopped: paused in the debugger (or busy, which is left out too).
const TICK_MS = 20;
const PAUSED_MS = 100;

const send = (message: object) => {
  try {
    if (process.connected) process.send?.(message);
  } catch {
    // the channel closed meanwhile: devsup learns of the exit from the process itself
  }
};


/**
 * Whether a debugger is connected to the inspector (Linux: an established TCP connection on its port, held by this
 * process). Elsewhere it cannot be told, and one is assumed.
 */
function debuggerAttached(url: string): boolean {
  if (process.platform !== 'linux') return true;
  try {
    const port = Number(new URL(url).port);
    const sockets = new Set<string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const inode = socketInode(readlinkSync(`/proc/self/fd/${fd}`));
        if (inode) sockets.add(inode);
      } catch {
        // closed meanwhile
      }
    }
    const connected = (row: TcpRow) => row.state === TCP_ESTABLISHED && tablePort(row.local) === port && sockets.has(row.inode);
    return TCP_TABLES.some((table) => tcpRows(readFileSync(table, 'utf8')).some(connected));
  } catch {
    return true;
  }
}

if (process.channel && Number(process.env.DEVSUP_PID) === process.ppid && inspector?.url()) {
  const readyTimeout = Number(process.env.DEVSUP_READY_TIMEOUT);
  if (Number.isFinite(readyTimeout) && readyTimeout >= 0 && waitsForDebugger([...process.execArgv, ...nodeOptionsFlags(process.env.NODE_OPTIONS)])) {
    let last = performance.now();
    let ran = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      if (now - last <= PAUSED_MS) ran += now - last;
      last = now;
      if (ran < readyTimeout) return;
      clearInterval(tick);
      send({ devsup: 1, type: 'ran', ms: Math.round(ran) });
    }, TICK_MS).unref();
  }
  // The app's own 'exit' listeners run after this one: devsup gives them a moment before it ends the process.
  process.on('exit', (code) => {
    const url = inspector?.url();
    if (url && debuggerAttached(url)) send({ devsup: 1, type: 'exiting', code: typeof code === 'number' ? code : 0 });
  });
}
