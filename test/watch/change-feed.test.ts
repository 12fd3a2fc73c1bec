// The quiet period, on a fake clock: a change at once, settled after the quiet, bursts and streams that never go quiet.
import { describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../src/watch/change-feed.js';

function fakeClock() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let ids = 0;
  return {
    clock: {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        const id = ++ids;
        timers.push({ at: now + ms, fn, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        timers = timers.filter((t) => t.id !== id);
      },
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = until;
    },
  };
}

describe('ChangeFeed', () => {
  function feed(quietMs = 50, maxWaitMs = 1000) {
    const { clock, advance } = fakeClock();
    const log: string[] = [];
    const changes = new ChangeFeed((paths) => log.push(`changed ${paths.join(',')}`), () => log.push('settled'), quietMs, maxWaitMs, clock);
    return { changes, advance, log };
  }

  it('reports a change at once, then settles after the quiet period', () => {
    const { changes, advance, log } = feed();
    changes.add('a.ts');
    advance(0);
    expect(log).toEqual(['changed a.ts']);
    advance(49);
    expect(log).toEqual(['changed a.ts']);
    advance(1);
    expect(log).toEqual(['changed a.ts', 'settled']);
  });

  it('groups what arrives in one turn, without duplicates, and settles once for a whole burst', () => {
    const { changes, advance, log } = feed();
    changes.add('a.ts');
    changes.add('b.ts');
    changes.add('a.ts');
    for (let i = 0; i < 50; i++) {
      advance(2);
      changes.add(i % 2 === 0 ? 'a.ts' : 'c.ts');
    }
    expect(log[0]).toBe('changed a.ts,b.ts');
    expect(log.filter((l) => l === 'settled')).toEqual([]);
    advance(74); // the last add was at t=100; several files wait at least 75 ms: quiet until t=175
    expect(log.filter((l) => l === 'settled')).toEqual([]);
    advance(1);
    expect(log.filter((l) => l === 'settled')).toEqual(['settled']);
    expect(log.at(-1)).toBe('settled');
  });

  it('settles separately for changes further apart than the quiet period', () => {
    const { changes, advance, log } = feed();
    changes.add('a.ts');
    advance(60);
    changes.add('b.ts');
    advance(60);
    expect(log).toEqual(['changed a.ts', 'settled', 'changed b.ts', 'settled']);
  });

  it('still settles a stream that never goes quiet, every maxWait', () => {
    const { changes, advance, log } = feed(50, 300);
    for (let i = 0; i < 100; i++) {
      changes.add('app.db');
      advance(10);
    }
    const settles = log.filter((l) => l === 'settled').length;
    expect(settles).toBeGreaterThanOrEqual(3);
    expect(settles).toBeLessThanOrEqual(4);
  });

  it('waits the short quiet period for one file, at least 75 ms once a burst has several', () => {
    const { changes, advance, log } = feed(20);
    changes.add('a.ts');
    advance(20);
    expect(log).toEqual(['changed a.ts', 'settled']);
    changes.add('a.ts');
    advance(10);
    changes.add('b.ts');
    advance(74);
    expect(log.filter((l) => l === 'settled')).toHaveLength(1);
    advance(1);
    expect(log.filter((l) => l === 'settled')).toHaveLength(2);
  });

  it('waits longer for a mass change to go quiet (a stalled checkout is still one burst)', () => {
    const { changes, advance, log } = feed(50, 5000);
    for (let i = 0; i < 60; i++) changes.add(`gen/${i}.json`);
    advance(200); // a stall longer than a single save's quiet period
    expect(log.filter((l) => l === 'settled')).toEqual([]);
    changes.add('gen/60.json');
    advance(499);
    expect(log.filter((l) => l === 'settled')).toEqual([]);
    advance(1);
    expect(log.filter((l) => l === 'settled')).toHaveLength(1);
    // The next single save is back to the short quiet period.
    changes.add('a.ts');
    advance(50);
    expect(log.filter((l) => l === 'settled')).toHaveLength(2);
  });

  it('asks whether the files of the burst changed again unseen before it settles, and goes on if they did', () => {
    const { changes, advance, log } = feed();
    let writes = 1; // a.ts is written once more inside chokidar's window, which reports nothing for it
    changes.lookAgain = (paths) => {
      log.push(`look at ${paths.join(',')}`);
      if (writes-- <= 0) return false;
      changes.add('a.ts');
      return true;
    };
    changes.add('a.ts');
    advance(50);
    expect(log).toEqual(['changed a.ts', 'look at a.ts', 'changed a.ts']);
    // Written again: no longer a single save, so the burst waits the longer quiet period of several changes.
    advance(74);
    expect(log).toEqual(['changed a.ts', 'look at a.ts', 'changed a.ts']);
    advance(1);
    expect(log).toEqual(['changed a.ts', 'look at a.ts', 'changed a.ts', 'look at a.ts', 'settled']);
  });

  it('does not look again past maxWait, nor at a mass change (its own longer quiet covers it)', () => {
    const { changes, advance, log } = feed(50, 1000);
    changes.lookAgain = () => {
      log.push('look');
      changes.add('a.ts');
      return true;
    };
    changes.add('a.ts');
    advance(1200);
    expect(log.filter((l) => l === 'settled')).toHaveLength(1);
    expect(log.filter((l) => l === 'look').length).toBeLessThanOrEqual(20);
  });

  it('drops what is pending on cancel', () => {
    const { changes, advance, log } = feed();
    changes.add('a.ts');
    changes.cancel();
    advance(100);
    expect(log).toEqual([]);
  });
});
