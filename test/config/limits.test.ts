// Input devsup must refuse, or bound, before it reaches a timer or a log line (issue 16, lower-severity items).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChildMessage } from '../../src/protocol/parse.js';
import { CLI, until } from '../helpers/harness.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'devsup-limits-'));
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  writeFileSync(join(dir, 'app.mjs'), 'setInterval(() => {}, 1000);\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function devsup(args: string[], timeout = 20_000) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: result.status, signal: result.signal, stderr: result.stderr, ms: Date.now() - started };
}

describe('deadlines past 2^31 ms', () => {
  it.each(['--stop-timeout', '--kill-grace', '--max-stop-timeout', '--ready-timeout', '--quiet-period'])('%s 2147483648: exit 2, one line', (flag) => {
    const result = devsup(['run', 'app.mjs', flag, '2147483648']);
    expect(result.stderr.trim()).toBe(`[devsup] error: command line: ${flag} must be at most 2147483647 milliseconds (~24.8 days: Node's longest timer), got 2147483648`);
    expect(result.code).toBe(2);
  });

  it('2147483647 is taken, and the stop it bounds arms no overflowing timer', async () => {
    // SIGTERM once it watches: devsup stops the app, arming the stop timeout.
    const child = spawn(process.execPath, [CLI, 'run', 'app.mjs', '--stop-timeout', '2147483647', '--max-stop-timeout', '2147483647'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until('devsup to watch', () => /watching/.test(stderr));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(stderr).toMatch(/SIGTERM: stopping the app/);
    expect(stderr).not.toMatch(/TimeoutOverflowWarning|error/);
  });

  it("an extendDeadline past 2^31 ms is read as 2^31 - 1 (the machine's cap applies below it)", () => {
    expect(parseChildMessage({ devsup: 1, type: 'extend', ms: 2 ** 40 })).toEqual({ ok: true, message: { devsup: 1, type: 'extend', ms: 2 ** 31 - 1 } });
  });
});

describe('config files that never settle, or throw when read', () => {
  const config = (name: string, source: string) => {
    writeFileSync(join(dir, name), source);
    return devsup(['run', 'app.mjs', '--config', name], 30_000);
  };

  it('a top-level await that can never settle: exit 2 at once, one line naming the file', () => {
    const result = config('never.config.mjs', 'await new Promise(() => {});\nexport default { stopTimeout: 1 };\n');
    expect(result.stderr.trim()).toBe('[devsup] error: never.config.mjs did not finish loading: its top-level await never settles (it waits for nothing that can happen) (fix the config file; devsup reads it once at start)');
    expect(result.code).toBe(2);
    expect(result.ms).toBeLessThan(3000);
  });

  it('a top-level await that waits on what never comes: exit 2 after 5 s', () => {
    const result = config('waits.config.mjs', 'await new Promise(() => setInterval(() => {}, 1000));\nexport default {};\n');
    expect(result.stderr.trim()).toBe('[devsup] error: waits.config.mjs did not finish loading: still loading after 5 s (a top-level await that never settles?) (fix the config file; devsup reads it once at start)');
    expect(result.code).toBe(2);
    expect(result.ms).toBeGreaterThanOrEqual(5000);
    expect(result.ms).toBeLessThan(8000);
  });

  it('a loop forever at import: one line naming the file, devsup ends within ~6 s', () => {
    const result = config('loops.config.mjs', 'for (;;) {}\nexport default {};\n');
    expect(result.stderr.trim()).toBe('[devsup] error: loops.config.mjs did not finish loading: still running after 5 s, and blocking devsup (an endless loop at import?) (fix the config file; devsup reads it once at start)');
    expect(result.signal).toBe('SIGKILL');
    expect(result.ms).toBeLessThan(9000);
  });

  it('a getter that throws: exit 2, naming the key', () => {
    const result = config('getter.config.mjs', "export default { get stopTimeout() { throw new Error('boom'); } };\n");
    expect(result.stderr.trim()).toBe('[devsup] error: getter.config.mjs: reading stopTimeout threw: boom (fix the config file; devsup reads it once at start)');
    expect(result.code).toBe(2);
  });

  it('a default export that is a pending Promise: says so', () => {
    const result = config('promise.config.mjs', 'export default new Promise(() => {});\n');
    expect(result.stderr.trim()).toBe('[devsup] error: promise.config.mjs: the default export is a Promise, not a config object (export the object itself, or await it at the top level: export default await makeConfig())');
    expect(result.code).toBe(2);
  });

  it('a TypeScript config that never settles goes through the same limit', () => {
    const result = config('never.config.ts', 'await new Promise<void>(() => {});\nexport default { stopTimeout: 1 };\n');
    expect(result.stderr.trim()).toMatch(/^\[devsup\] error: never\.config\.ts did not finish loading: its top-level await never settles/);
    expect(result.code).toBe(2);
  });
});
