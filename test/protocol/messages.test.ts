// The validating parser: what the child may send, and everything it must not be able to slip through.
import { describe, expect, it } from 'vitest';
import { shutdownMessage } from '../../src/protocol/messages.js';
import { modulePath } from '../../src/protocol/module-path.js';
import { parseChildMessage } from '../../src/protocol/parse.js';

describe('parseChildMessage', () => {
  it.each([
    ['hello', { devsup: 1, type: 'hello', sdk: '0.1.0', pid: 42 }, { devsup: 1, type: 'hello', sdk: '0.1.0', pid: 42 }],
    ['ready', { devsup: 1, type: 'ready', extra: true }, { devsup: 1, type: 'ready' }],
    ['cleanup started', { devsup: 1, type: 'cleanup', name: 'db', status: 'started', ms: 0 },
      { devsup: 1, type: 'cleanup', name: 'db', status: 'started', ms: 0 }],
    ['cleanup failed with its error', { devsup: 1, type: 'cleanup', name: 'db', status: 'failed', ms: 3, error: 'Error: x' },
      { devsup: 1, type: 'cleanup', name: 'db', status: 'failed', ms: 3, error: 'Error: x' }],
    ['shutdown-done', { devsup: 1, type: 'shutdown-done', results: [{ name: 'db', status: 'done', ms: 5 }] },
      { devsup: 1, type: 'shutdown-done', results: [{ name: 'db', status: 'done', ms: 5 }], openHandles: [] }],
    ['shutdown-done with open handles (malformed ones dropped)',
      { devsup: 1, type: 'shutdown-done', results: [], openHandles: [{ type: 'TCP server', detail: '127.0.0.1:3000' }, { type: 'timer', count: 2 }, { nope: 1 }] },
      { devsup: 1, type: 'shutdown-done', results: [], openHandles: [{ type: 'TCP server', detail: '127.0.0.1:3000' }, { type: 'timer', count: 2 }] }],
    ['stopping with its plan', { devsup: 1, type: 'stopping', cleanups: ['http server', 'db'] }, { devsup: 1, type: 'stopping', cleanups: ['http server', 'db'] }],
    ['extend', { devsup: 1, type: 'extend', ms: 3000 }, { devsup: 1, type: 'extend', ms: 3000 }],
    ['exiting, under a debugger', { devsup: 1, type: 'exiting', code: 1 }, { devsup: 1, type: 'exiting', code: 1 }],
    ['ran, under --inspect-brk', { devsup: 1, type: 'ran', ms: 1000 }, { devsup: 1, type: 'ran', ms: 1000 }],
  ])('accepts %s', (_name, input, output) => {
    expect(parseChildMessage(input)).toEqual({ ok: true, message: output });
  });

  it.each([
    ['the app\'s own traffic', { hello: 'world' }, 'not a devsup message'],
    ['a string', 'garbage', 'not a devsup message'],
    ['null', null, 'not a devsup message'],
    ['an array', [1, 2], 'not a devsup message'],
    ['another protocol version', { devsup: 2, type: 'ready' }, 'unsupported protocol version 2'],
    ['an unknown type', { devsup: 1, type: 'explode' }, 'unknown message type "explode"'],
    ['a cleanup without a name', { devsup: 1, type: 'cleanup', status: 'done', ms: 1 }, 'cleanup message needs name, status and ms'],
    ['a cleanup with a bad status', { devsup: 1, type: 'cleanup', name: 'a', status: 'meh', ms: 1 }, 'cleanup message needs name, status and ms'],
    ['a cleanup with negative ms', { devsup: 1, type: 'cleanup', name: 'a', status: 'done', ms: -1 }, 'cleanup message needs name, status and ms'],
    ['shutdown-done without results', { devsup: 1, type: 'shutdown-done' }, 'shutdown-done needs results[]'],
    ['stopping without a plan', { devsup: 1, type: 'stopping' }, 'stopping needs cleanups[]'],
    ['extend without ms', { devsup: 1, type: 'extend', ms: 'later' }, 'extend needs ms, a non-negative number'],
    ['exiting without an integer code', { devsup: 1, type: 'exiting', code: 'SIGKILL' }, 'exiting needs code, an integer'],
    ['ran without ms', { devsup: 1, type: 'ran' }, 'ran needs ms, a non-negative number'],
    ['shutdown-done with a malformed result', { devsup: 1, type: 'shutdown-done', results: [{ name: 1 }] }, 'shutdown-done has a malformed result'],
  ])('rejects %s', (_name, input, why) => {
    expect(parseChildMessage(input)).toEqual({ ok: false, why });
  });

  it('cuts over-long names and errors to a report line', () => {
    const parsed = parseChildMessage({ devsup: 1, type: 'cleanup', name: 'x'.repeat(10_000), status: 'failed', ms: 1, error: 'e'.repeat(10_000) });
    expect(parsed.ok && parsed.message.type === 'cleanup' && [parsed.message.name.length, parsed.message.error?.length]).toEqual([2000, 2000]);
  });
});

describe('module reports (Node with WATCH_REPORT_DEPENDENCIES)', () => {
  it.each([
    ['file:///app/src/db.ts', '/app/src/db.ts'],
    ['file:///app/s%C3%A9rv%C3%A9r%20app.cts', '/app/sérvér app.cts'],
    ['/app/src/a.ts?tsx-commonjs-export-preparse=1', '/app/src/a.ts'],
    ['file:///app/a.ts%3Ftsx-commonjs-export-preparse=1?tsx-commonjs-export-preparse=1&tsx-commonjs-virtual-query=1', '/app/a.ts'],
    ['/app/config.json', '/app/config.json'],
    ['node:fs', undefined],
    [null, undefined],
    ['data:text/javascript,1', undefined],
    ['relative.js', undefined],
  ])('%s → %s', (reported, path) => {
    expect(modulePath(reported)).toBe(path);
  });

  it('turns watch:import and watch:require into one modules message; anything else of that shape is rejected', () => {
    expect(parseChildMessage({ 'watch:import': ['file:///app/a.mjs'] })).toEqual({ ok: true, message: { devsup: 1, type: 'modules', files: ['/app/a.mjs'], ctimes: {} } });
    expect(parseChildMessage({ 'watch:require': [null, '/app/b.cjs'] })).toEqual({ ok: true, message: { devsup: 1, type: 'modules', files: ['/app/b.cjs'], ctimes: {} } });
    expect(parseChildMessage({ 'watch:import': 'file:///app/a.mjs' })).toEqual({ ok: false, why: 'a module report that is not a list' });
    expect(parseChildMessage({ hello: 1 })).toEqual({ ok: false, why: 'not a devsup message' });
  });

  it("keeps each file's ctime the preload read when the report was sent, and only finite numbers", () => {
    const ctime = 1_795_000_000_123.456;
    expect(parseChildMessage({ 'watch:import': ['node:fs', 'file:///app/a.mjs'], 'devsup:ctime': [null, ctime] })).toEqual({
      ok: true,
      message: { devsup: 1, type: 'modules', files: ['/app/a.mjs'], ctimes: { '/app/a.mjs': ctime } },
    });
    for (const stamp of [['1795000000123'], [null], [Number.NaN], 'x', undefined]) {
      expect(parseChildMessage({ 'watch:require': ['/app/b.cjs'], 'devsup:ctime': stamp })).toEqual({
        ok: true,
        message: { devsup: 1, type: 'modules', files: ['/app/b.cjs'], ctimes: {} },
      });
    }
  });
});

describe('shutdownMessage', () => {
  it('carries the reason, the deadline and the changed paths', () => {
    expect(shutdownMessage('restart', 5000, ['a.ts'])).toEqual({ devsup: 1, type: 'shutdown', reason: 'restart', deadlineMs: 5000, changed: ['a.ts'] });
    expect(shutdownMessage('exit', 100, [])).toEqual({ devsup: 1, type: 'shutdown', reason: 'exit', deadlineMs: 100 });
  });
});
