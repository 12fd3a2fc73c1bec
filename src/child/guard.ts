// Preloaded (node --import) into every Node app devsup starts, before the app's own code: if devsup dies (even
// `kill -9`), an app that does not use devsup/child gets SIGTERM from itself, so that its own handler runs and it does
// not stay behind holding a port. An app that uses devsup/child is left to it. It also stamps Node's module reports
// with the time they were sent (below). Node built-ins only; sends nothing of its own.
import { processGone } from './liveness.js';

const supervisorPid = Number(process.env.DEVSUP_PID);
const stopTimeoutMs = Number(process.env.DEVSUP_STOP_TIMEOUT) || 5000;
const sdk = Symbol.for('devsup.child.registry');

if (process.channel && supervisorPid > 0) {
  process.on('disconnect', () => {
    if ((globalThis as Record<symbol, unknown>)[sdk]) return; // devsup/child handles it, with the app's cleanups
    let looks = 0;
    const look = setInterval(() => {
      if (processGone(supervisorPid)) {
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
// module before it reads the file. The time it was sent tells devsup whether a file was written after the app read
// it, however late devsup gets to the message (a busy machine): devsup watches the file only from then on.
const send = process.env.WATCH_REPORT_DEPENDENCIES ? process.send : undefined;
if (send) {
  process.send = function (this: NodeJS.Process, message: unknown, ...rest: unknown[]) {
    const report = typeof message === 'object' && message !== null && ('watch:import' in message || 'watch:require' in message);
    return (send as (...args: unknown[]) => boolean).call(this, report ? { ...message, 'devsup:at': Date.now() } : message, ...rest);
  } as typeof process.send;
}
