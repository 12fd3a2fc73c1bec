// What the terminal does to a running devsup: its signals stop what runs (a second one forces), nothing outlives
// devsup even when devsup itself fails, and the exit code follows the signal, as nodemon's and tsx watch's do.
import { constants } from 'node:os';
import type { Logger } from '../supervisor/logger.js';

export interface Stoppable {
  /** The pids that must not outlive devsup. */
  readonly pids: () => readonly number[];
  close(options: { force: boolean }): Promise<number>;
  once(event: 'closed', listener: (event: { exitCode: number }) => void): unknown;
}

/**
 * Installs the handlers; resolves with the exit code once `target` is closed. Stopped by a signal: an app that the
 * stop killed (exit 128 + n: devsup's SIGTERM, or SIGKILL) makes devsup exit 128 + the signal devsup itself received
 * (130 after Ctrl-C); an app that ended with a code of its own (its cleanups ran: 0, or 1 when one failed) is followed.
 */
export function attachTerminal(target: Stoppable, log: Logger, stopping: (signal: NodeJS.Signals) => string): Promise<number> {
  process.on('exit', () => {
    for (const pid of target.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  let signals = 0;
  let received: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signals += 1;
      received ??= signal;
      if (signals === 1) log.info(`${signal}: ${stopping(signal)} (again to force)`);
      void target.close({ force: signals > 1 });
    });
  }
  return new Promise<number>((resolve) =>
    target.once('closed', ({ exitCode }) => resolve(received && exitCode > 128 ? 128 + constants.signals[received] : exitCode)),
  );
}
