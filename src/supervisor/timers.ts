// The machine's timers, by name: at most one of each, all cleared at once on disarm. Remembers when the stop
// deadline falls, for 'deadline' (what is left of it) and for extendDeadline().
import type { Timer } from '../core/state.js';

export class Timers {
  readonly #timers = new Map<Timer, NodeJS.Timeout>();
  /** When the current escalate timer fires (performance.now() time). */
  deadlineAt = 0;

  /** Arms `timer`; `deadline`: this one is the stop deadline (an escalate timer, not the reap's wait for what is left of it). */
  arm(timer: Timer, ms: number, fire: () => void, deadline: boolean): void {
    clearTimeout(this.#timers.get(timer));
    if (deadline) this.deadlineAt = performance.now() + ms;
    this.#timers.set(timer, setTimeout(fire, ms));
  }

  /** What is left of the stop deadline, in ms (0 once passed). */
  deadlineLeft(): number {
    return Math.max(0, this.deadlineAt - performance.now());
  }

  /** Clears every timer but those `kept`. */
  disarm(kept: readonly Timer[] = []): void {
    for (const [name, timer] of this.#timers) {
      if (kept.includes(name)) continue;
      clearTimeout(timer);
      this.#timers.delete(name);
    }
  }
}
