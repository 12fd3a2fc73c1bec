// What is watched, as pure decisions on a real folder: the module graph, `watch` entries, named files, ignores.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WatchSet } from '../../src/watch/watch-set.js';

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
    expect(set.isWatched(join(root, 'src/a.ts'))).toBe(true);
    expect(set.isWatched(join(root, 'src/other.ts'))).toBe(false);
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
    const counts = (f: string) => set.isWatched(join(root, f));
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
    expect(set.isWatched(join(root, 'src/a.ts'))).toBe(true);
    expect(set.isWatched(join(root, 'src/a.json'))).toBe(false);
    expect(set.isWatched(join(root, 'package.json'))).toBe(true);
    expect(set.addLoaded([join(root, 'src/data.json')])).toEqual([]);
  });
});
