// With the inspector open (--inspect, --inspect-brk, VS Code's auto attach), the preload tells devsup what only the
// app's process can know.
// - Under --inspect-brk (or --inspect-wait), when the app's code has run for devsup's readyTimeout with the time it
//   was paused in the debugger left out (the break on its first line, a breakpoint): devsup then counts an app that
//   never calls ready() as ready, as the ready timeout does otherwise. The wait for a debugger is not counted either:
//   Node runs no preload before one attaches.
// - As the process exits, its exit code: Node keeps a process with a debugger attached until the debugger
//   disconnects ("Waiting for the debugger to disconnect..."), its code done, and devsup ends it at once.
import { createRequire } from 'node:module';

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

const waitsForDebugger = () =>
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => /^--inspect-(brk|wait)(=|$)/.test(flag));

if (process.channel && inspector?.url()) {
  const readyTimeout = Number(process.env.DEVSUP_READY_TIMEOUT);
  if (readyTimeout > 0 && waitsForDebugger()) {
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
    if (inspector?.url()) send({ devsup: 1, type: 'exiting', code: typeof code === 'number' ? code : 0 });
  });
}
