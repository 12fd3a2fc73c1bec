// Keeps the standby (process/standby.ts): boots one when asked, hands it over for a start only if it is alive and its
// inputs are the ones a direct start would have now, discards it otherwise, and kills it with devsup.
import type { Options } from '../config/schema.js';
import { ChildRun, type RunHandlers } from '../process/child-run.js';
import type { HeldSockets } from '../process/sockets.js';
import { canStandby, standbyCommand, standbyInputs } from '../process/standby.js';
import type { Logger } from './logger.js';

export class StandbyKeeper {
  readonly #options: Options;
  readonly #log: Logger;
  #standby: { run: ChildRun; inputs: string } | undefined;

  constructor(options: Options, log: Logger) {
    this.#options = options;
    this.#log = log;
  }

  /** Boots the next app's process, unless one is up already (or this app cannot start from one). */
  prepare(env: Record<string, string>, sockets: HeldSockets | undefined, booted: (run: ChildRun) => void): void {
    if (!canStandby(this.#options) || this.#standby?.run.alive) return;
    const log = this.#log;
    const quiet: RunHandlers = {
      message: () => {},
      ignored: () => {},
      disconnected: () => {},
      failed: (_run, error) => log.debug({ err: error }, `standby could not start: ${error.message}`),
      exited: (_run, exit) => log.debug({ exit }, 'the standby ended before it was used; the next start is a direct one'),
    };
    const run = new ChildRun(0, this.#options, { ...env, DEVSUP_STANDBY: '1' }, quiet, standbyCommand(this.#options), sockets);
    booted(run);
    this.#standby = { run, inputs: standbyInputs(this.#options) };
    log.debug({ pid: run.pid }, `standby booting (pid ${run.pid ?? '?'})`);
  }

  /** The standby, if it can serve this start: alive, and booted with the inputs a direct start would have now. */
  take(): ChildRun | undefined {
    const standby = this.#standby;
    this.#standby = undefined;
    if (!standby || !standby.run.alive) return undefined;
    if (standby.inputs !== standbyInputs(this.#options)) return this.discard(standby.run, 'the env file, package.json or tsconfig.json changed since it booted');
    return standby.run;
  }

  discard(run: ChildRun, why: string): undefined {
    this.#log.debug({ pid: run.pid }, `standby discarded: ${why}; starting directly`);
    run.signal('SIGKILL', false);
    return undefined;
  }

  /** devsup is done: so is the standby. */
  kill(): void {
    this.#standby?.run.signal('SIGKILL', false);
    this.#standby = undefined;
  }
}
