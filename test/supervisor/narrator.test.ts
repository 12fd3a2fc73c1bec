// The words devsup uses, as tables: the same facts must read the same in every line.
import { describe, expect, it } from 'vitest';
import { describeTrigger, formatOpen, formatProgress, formatReaped, restartSummary } from '../../src/supervisor/narrator.js';

const change = (...paths: string[]) => ({ reason: 'change' as const, paths, settled: true });

describe('formatProgress', () => {
  it.each([
    [{ plan: ['http server', 'db pool', 'browser'], finished: [{ name: 'http server', status: 'done' as const, ms: 12 }], running: { name: 'db pool', forMs: 1400 }, elapsedMs: 1500 },
      'stopping: http server ✓ 12 ms · db pool … 1.4 s · browser pending'],
    [{ plan: ['a', 'b'], finished: [{ name: 'a', status: 'failed' as const, ms: 3 }, { name: 'b', status: 'timed-out' as const, ms: 2000 }], running: undefined, elapsedMs: 2100 },
      'stopping: a ✗ failed 3 ms · b ⧗ timed out 2.0 s'],
    [{ plan: [], finished: [], running: undefined, elapsedMs: 700 }, 'stopping: waiting for the app to exit … 700 ms'],
  ])('%#', (progress, line) => {
    expect(formatProgress(progress)).toBe(line);
  });
});

describe('formatOpen and formatReaped', () => {
  it('names each resource with its address, and counts the rest', () => {
    expect(formatOpen([{ type: 'TCP server', detail: '127.0.0.1:3000' }, { type: 'timer', count: 2 }, { type: 'immediate', count: 1 }]))
      .toBe('TCP server 127.0.0.1:3000, 2 timers, 1 immediate');
    expect(formatReaped([{ pid: 42, command: 'node worker.js', listening: ['127.0.0.1:9229'] }, { pid: 43, command: '', listening: [] }]))
      .toBe('pid 42 (node worker.js) listening on 127.0.0.1:9229, pid 43');
  });
});

describe('restartSummary', () => {
  it.each([
    [{ number: 7, trigger: change('src/db.ts'), teardownMs: 318, readyMs: 402 }, 'restart #7: change in src/db.ts · teardown 318 ms · ready in 402 ms'],
    [{ number: 2, trigger: change('a.ts', 'b.ts', 'c.ts'), teardownMs: 20, readyMs: undefined }, 'restart #2: change in a.ts (+2 more) · teardown 20 ms · started (no ready() call)'],
    [{ number: 3, trigger: change('a.ts'), teardownMs: undefined, readyMs: 90 }, 'restart #3: change in a.ts · ready in 90 ms'],
    [{ number: 4, trigger: { reason: 'manual' as const, paths: [], settled: true }, teardownMs: 305, readyMs: 80, cleanups: [{ name: 'db', status: 'done' as const, ms: 301 }] },
      'restart #4: restart requested · teardown 305 ms (db 301 ms) · ready in 80 ms'],
    [{ number: 5, trigger: change('src/app.service.ts'), teardownMs: 15, readyMs: 305, buildMs: 1020 }, 'restart #5: change in src/app.service.ts · teardown 15 ms · build 1020 ms · ready in 305 ms'],
  ])('%#', (input, line) => {
    expect(restartSummary(input)).toBe(line);
  });

  it('names a restart after a crash', () => {
    expect(describeTrigger({ reason: 'crash', paths: [], settled: true })).toBe('restart after the crash');
  });
});
