// The built-in ignores and the person's ignore globs, as a table: which paths never restart the app.
import { describe, expect, it } from 'vitest';
import { createIgnore } from '../../src/watch/ignore.js';

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
