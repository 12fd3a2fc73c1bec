// Preloaded (node --import) into every Node app devsup starts, before the app's own code: if devsup dies (even
// `kill -9`), an app that does not use devsup/child gets SIGTERM from itself, so that its own handler runs and it does
// not stay behind holding a port. An app that uses devsup/child is left to it. It also stamps Node's module reports
// with each file's ctime (below), and makes listen() on a port devsup holds take the held socket (listen.ts). Node
// built-ins only; of its own it sends only listen.ts's `listen` reports and, under a debugger, debugger.ts's. With
// held sockets, an app that handles no stop of its own drains its servers at SIGTERM (drain.ts).
import { statSync } from 'node:fs';
import './listen.js';
import './drain.js';
import './debugger.js';
import { supervisorGone } from './liveness.js';
import { isRecord } from '../protocol/is-record.js';
import { modulePath } from '../protocol/module-path.js';

const supervisorPid = Number(process.env.DEVSUP_PID);
const parentAtStart = process.ppid;
const stopTimeoutMs = Number(process.env.DEVSUP_STOP_TIMEOUT) || 5000;
const sdk = Symbol.for('devsup.child.registry');

if (process.channel && supervisorPid > 0) {
  process.on('disconnect', () => {
    if ((globalThis as Record<symbol, unknown>)[sdk]) return; // devsup/child handles it, with the app's cleanups
    let looks = 0;
    const look = setInterval(() => {
      if (supervisorGone(supervisorPid, parentAtStart)) {
        clearInterval(look);
        setTimeout(() => process.exit(1), stopTimeoutMs).unref();
        process.kill(process.pid, 'SIGTERM');
      } else if (++looks >= 25) {
        clearInterval(look); // the app closed the channel itself; devsup is still there
      }
    }, 20);
  });
  // Listening must not keep an app alive that would otherwise exit.
  process.channel.unref();
}

// With WATCH_REPORT_DEPENDENCIES, Node calls process.send({ 'watch:import': [url] }) (or 'watch:require') for each
// module, before it reads the file. Each file's ctime at that moment is the version the app loads: devsup compares
// what it sees later with it, so a save after the app read the file is a change however late devsup reads the
// report (a busy machine), and a module the app itself wrote just before importing it (generated code) is not.
const send = process.env.WATCH_REPORT_DEPENDENCIES ? process.send : undefined;
if (send) {
  const ctimeOf = (reported: unknown): number | null => {
    // devsup never watches a file in node_modules (a linked workspace package is reported by its real path).
    if (typeof reported !== 'string' || /[\\/]node_modules[\\/]/.test(reported)) return null;
    const path = modulePath(reported);
    try {
      return path === undefined ? null : statSync(path).ctimeMs;
    } catch {
      return null; // never in the way of loading the module
    }
  };
  process.send = function (this: NodeJS.Process, message: unknown, ...rest: unknown[]) {
    // A standby's own modules (its runner, the loaders) are not the app's: only what it loads once it runs counts.
    if (process.env.DEVSUP_STANDBY && isRecord(message) && ('watch:import' in message || 'watch:require' in message)) return true;
    const reported = isRecord(message) ? (message['watch:import'] ?? message['watch:require']) : undefined;
    // Node reports modules even once the channel has closed (devsup gone, or the app's own process.disconnect()),
    // by a process.send() without a callback: that emits ERR_IPC_CHANNEL_CLOSED as an 'error' event on process, which
    // kills the app (before its cleanups, if it was devsup/child's own import of liveness.js: Node 24 reports every
    // import() it resolves, of a loaded module too). Nobody is left to read the report: drop it.
    if (Array.isArray(reported) && !process.connected) return false;
    const stamped = Array.isArray(reported) ? { ...(message as object), 'devsup:ctime': reported.map(ctimeOf) } : message;
    return (send as (...args: unknown[]) => boolean).call(this, stamped, ...rest);
  } as typeof process.send;
}
