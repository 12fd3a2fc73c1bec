// The self-write loop detector, as pure logic: starts and changes with their times, no processes.
import { describe, expect, it } from 'vitest';
import { LoopGuard } from '../../src/watch/loop-guard.js';

/** A start ready at t, and the change that ends it `after` ms later; returns the verdict of each change. */
function cycle(guard: LoopGuard, steps: { paths: string[]; after: number; written?: string[] }[]) {
  let t = 0;
  return steps.map(({ paths, after, written }) => {
    guard.started();
    guard.ready(t);
    const verdict = guard.changed(paths, t + after, written ?? paths);
    t += after + 500;
    return verdict.kind;
  });
}

describe('LoopGuard', () => {
  it('pauses when the same file ends 4 starts in a row, each soon after the start', () => {
    const guard = new LoopGuard(3, 1000);
    const kinds = cycle(guard, Array.from({ length: 4 }, () => ({ paths: ['state/journal.txt'], after: 60 })));
    expect(kinds).toEqual(['restart', 'restart', 'restart', 'paused']);
    expect(guard.paused).toBe('state/journal.txt');
  });

  it('names the file and how many restarts it caused', () => {
    const guard = new LoopGuard(3, 1000);
    cycle(guard, Array.from({ length: 3 }, () => ({ paths: ['a.db-journal'], after: 10 })));
    guard.started(); // a change while it starts (before ready) is soon after the start, however long the boot
    expect(guard.changed(['a.db-journal', 'b.txt'], 60_000)).toEqual({ kind: 'paused', path: 'a.db-journal', restarts: 3 });
  });

  it('holds changes to the paused file only; a change elsewhere resumes and restarts', () => {
    const guard = new LoopGuard(3, 1000);
    cycle(guard, Array.from({ length: 4 }, () => ({ paths: ['log.txt'], after: 60 })));
    expect(guard.changed(['log.txt'], 99_000).kind).toBe('held');
    expect(guard.changed(['log.txt', 'src/app.ts'], 99_100).kind).toBe('restart');
    expect(guard.paused).toBeUndefined();
  });

  it('resume() (rs) starts counting over', () => {
    const guard = new LoopGuard(3, 1000);
    cycle(guard, Array.from({ length: 4 }, () => ({ paths: ['log.txt'], after: 60 })));
    guard.resume();
    expect(cycle(guard, Array.from({ length: 3 }, () => ({ paths: ['log.txt'], after: 60 })))).toEqual(['restart', 'restart', 'restart']);
  });

  it.each([
    ['a change long after the start', { paths: ['log.txt'], after: 5000 }],
    ['a different file', { paths: ['other.txt'], after: 60 }],
    ['only the app\'s own code changed', { paths: ['log.txt'], after: 60, written: [] }],
  ])('%s breaks the streak', (_what, breaker) => {
    const guard = new LoopGuard(3, 1000);
    const same = { paths: ['log.txt'], after: 60 };
    expect(cycle(guard, [same, same, same, breaker, same, same])).toEqual(['restart', 'restart', 'restart', 'restart', 'restart', 'restart']);
  });
});
