// The pure parts of watching: which paths never matter, and how a burst of changes becomes one batch.
import { describe, expect, it } from 'vitest';
import { Batcher, createIgnore } from '../src/watcher.js';

describe('createIgnore', () => {
  const ignored = createIgnore(['tmp', '*.sqlite', 'data/uploads']);
  it.each([
    ['node_modules/x/index.js', true],
    ['packages/a/node_modules/b.js', true],
    ['.git/HEAD', true],
    ['dist/server.js', true],
    ['coverage/lcov.info', true],
    ['src/.server.ts.swp', true],
    ['src/server.ts~', true],
    ['src/.#server.ts', true],
    ['4913', true],
    ['logs/app.log', true],
    ['tmp/cache.json', true],
    ['db.sqlite', true],
    ['data/uploads/a.png', true],
    ['data/uploads', true],
    ['src/server.ts', false],
    ['src/distance.ts', false],
    ['data/seed.json', false],
    ['', false],
  ])('%s → %s', (path, expected) => {
    expect(ignored(path)).toBe(expected);
  });
});

// A hand-driven clock: the Batcher is pure logic around setTimeout, so its unit test controls time itself.
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

describe('Batcher', () => {
  it('flushes a burst once, after the quiet period, in order and without duplicates', () => {
    const { clock, advance } = fakeClock();
    const flushed: string[][] = [];
    const batcher = new Batcher((paths) => flushed.push(paths), 50, 1000, clock);
    for (let i = 0; i < 50; i++) {
      batcher.add(i % 2 === 0 ? 'a.ts' : `f${i}.ts`);
      advance(2);
    }
    expect(flushed).toEqual([]);
    advance(47); // the last add was at t=98: quiet until t=148
    expect(flushed).toEqual([]);
    advance(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]![0]).toBe('a.ts');
    expect(flushed[0]).toHaveLength(26);
  });

  it('makes separate batches of changes further apart than the quiet period', () => {
    const { clock, advance } = fakeClock();
    const flushed: string[][] = [];
    const batcher = new Batcher((paths) => flushed.push(paths), 50, 1000, clock);
    batcher.add('a.ts');
    advance(60);
    batcher.add('b.ts');
    advance(60);
    expect(flushed).toEqual([['a.ts'], ['b.ts']]);
  });

  it('still flushes a stream that never goes quiet, every maxWait', () => {
    const { clock, advance } = fakeClock();
    const flushed: string[][] = [];
    const batcher = new Batcher((paths) => flushed.push(paths), 50, 300, clock);
    for (let i = 0; i < 100; i++) {
      batcher.add('app.db');
      advance(10);
    }
    expect(flushed.length).toBeGreaterThanOrEqual(3);
    expect(flushed.length).toBeLessThanOrEqual(4);
  });

  it('drops what is pending on cancel', () => {
    const { clock, advance } = fakeClock();
    const flushed: string[][] = [];
    const batcher = new Batcher((paths) => flushed.push(paths), 50, 1000, clock);
    batcher.add('a.ts');
    batcher.cancel();
    advance(100);
    expect(flushed).toEqual([]);
  });
});
