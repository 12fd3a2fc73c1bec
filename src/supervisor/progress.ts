// The live progress of a slow teardown: on a terminal one status line redrawn every 100 ms, otherwise a plain line
// when it becomes slow and whenever a cleanup finishes.
import type { ChildRun } from '../process/child-run.js';
import { statusLine, type Logger } from './logger.js';
import { formatProgress } from './narrator.js';

// Cleanups running longer than this get a live progress line.
const PROGRESS_AFTER_MS = 500;

export class Progress {
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** The request to stop `run` went out: progress shows if the teardown takes a while. */
  begin(run: ChildRun, current: () => ChildRun | undefined): void {
    this.end();
    this.#timer = setTimeout(() => this.#show(run, current), PROGRESS_AFTER_MS);
  }

  /** A cleanup finished: without a terminal to redraw, a slow teardown gets a plain line for it. */
  cleanupFinished(run: ChildRun, current: () => ChildRun | undefined): void {
    if (this.#timer === undefined && run.stopAskedAt !== undefined && performance.now() - run.stopAskedAt >= PROGRESS_AFTER_MS) {
      this.#show(run, current);
    }
  }

  end(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    statusLine(this.#log)?.(undefined);
  }

  #show(run: ChildRun, current: () => ChildRun | undefined): void {
    if (!run.alive || current() !== run) return;
    const elapsedMs = performance.now() - (run.stopAskedAt ?? performance.now());
    const line = formatProgress({ plan: run.plan, finished: run.cleanups, running: run.cleanupRunning(), elapsedMs });
    const status = statusLine(this.#log);
    if (status) {
      status(line);
      this.#timer = setTimeout(() => this.#show(run, current), 100);
    } else {
      this.#log.info({ runId: run.runId, progress: true }, line);
      this.#timer = undefined;
    }
  }
}
