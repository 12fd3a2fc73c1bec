// The pure parts of watching: which paths never matter, what is watched, and how a burst of changes becomes one batch.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ChangeFeed, createIgnore, WatchSet } from '../../src/watch/watcher.js';

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
    ['src/sedqERyHD', true],
    ['src/server.ts.tmp', true],
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

// A hand-driven clock: the ChangeFeed is pure logic around setTimeout, so its unit test controls time itself.
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
    advance(49); // the last add was at t=100: quiet until t=150
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

  it('drops what is pending on cancel', () => {
    const { changes, advance, log } = feed();
    changes.add('a.ts');
    changes.cancel();
    advance(100);
    expect(log).toEqual([]);
  });
});

describe('WatchSet', () => {
  // A real folder: entries look at what exists (a folder is walked, a file is named), .gitignore is read from disk.
  function project(): string {
    const dir = mkdtempSync(join(tmpdir(), 'devsup-watchset-'));
    for (const d of ['src', 'config/sub', 'dist', 'data']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), 'data/\n');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it('counts the files the app loaded, minus node_modules and `ignore`, but with build output', () => {
    const root = project();
    const set = new WatchSet({ root, watch: [], ignore: ['*.gen.ts'], ext: [] });
    const loaded = ['src/a.ts', 'dist/server.js', 'node_modules/dep/index.js', 'src/b.gen.ts', '.next/server/page.js', 'data/x.json'];
    expect(set.addLoaded(loaded.map((f) => join(root, f)))).toEqual(['src/a.ts', 'dist/server.js', 'data/x.json'].map((f) => `${root}/${f}`));
    expect(set.addLoaded([join(root, 'src/a.ts')])).toEqual([]); // already known
    expect(set.counts(join(root, 'src/a.ts'))).toBe(true);
    expect(set.counts(join(root, 'src/other.ts'))).toBe(false);
  });

  it('walks `watch` folders and globs minus the ignores and .gitignore; named files always count', () => {
    const root = project();
    const set = new WatchSet({
      root,
      watch: [join(root, 'src'), join(root, 'config/**/*.yml')],
      named: [join(root, '.env*'), join(root, 'package.json')],
      ignore: [],
      ext: [],
    });
    const counts = (f: string) => set.counts(join(root, f));
    expect(['src/x.ts', 'config/sub/a.yml', 'config/a.yml', '.env', '.env.local', 'package.json'].filter(counts)).toHaveLength(6);
    expect(['config/readme.txt', 'src/node_modules/x.js', 'src/dist/a.js', 'README.md', 'sub/.env', 'data/cache.json'].some(counts)).toBe(false);
    // The walk: entry folders and their ancestors are entered; other folders are skipped whole.
    expect(set.skips(join(root, 'config/sub'), true)).toBe(false);
    expect(set.skips(join(root, 'data'), true)).toBe(true);
    expect(set.skips(join(root, 'src/node_modules'), true)).toBe(true);
    expect(set.skips(root, true)).toBe(false);
    // chokidar is given the root (for .env*) and the files outside it; src and config are reached by its walk.
    expect(set.roots()).toEqual([root]);
  });

  it('narrows by extension, except for named files', () => {
    const root = project();
    const set = new WatchSet({ root, watch: [join(root, 'src')], named: [join(root, 'package.json')], ignore: [], ext: ['ts'] });
    expect(set.counts(join(root, 'src/a.ts'))).toBe(true);
    expect(set.counts(join(root, 'src/a.json'))).toBe(false);
    expect(set.counts(join(root, 'package.json'))).toBe(true);
    expect(set.addLoaded([join(root, 'src/data.json')])).toEqual([]);
  });
});
