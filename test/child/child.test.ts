// devsup/child on its own, as in production: no supervisor, SIGTERM/SIGINT run the same cleanups.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { onTestFinished } from 'vitest';
import { freePort, isAlive, kill, Project, ROOT } from '../helpers/harness.js';

// The fixtures are TypeScript: run them with tsx's loader from this checkout, as devsup would.
const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

function start(project: Project, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', TSX, project.entry], {
    cwd: project.dir,
    env: { ...process.env, EVENTS: project.eventsFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => kill(child.pid!));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exited };
}

function runScript(source: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
}

describe('without a supervisor', () => {
  it('SIGTERM runs every cleanup, last registered first, reports failures on stderr, and exits 1', async () => {
    const project = new Project('cleanup-order.ts');
    const { child, exited } = start(project);
    await project.waitFor('start');
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(project.named('cleanup').map((e) => e.name)).toEqual(['third', 'second', 'first']);
    expect(stderr).toContain('[devsup/child] cleanup "third" failed after');
    expect(stderr).toContain('Error: third cleanup broke');
    expect(stderr).toMatch(/\[devsup\/child\] cleanup "second" timed-out after \d+ ms/);
    expect(code).toBe(1);
  });

  it('SIGINT runs the cleanups and exits 0 when all of them succeed; the port is free afterwards', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    const { child, exited } = start(project, { PORT: String(port) });
    await project.waitFor('listening');
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
    expect(project.named('cleanup-end').map((e) => e.name)).toEqual(['db pool']);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  it('a second signal while a cleanup hangs exits at once (130 for SIGINT)', async () => {
    const project = new Project('ignores-shutdown.ts');
    const { child, exited } = start(project);
    await project.waitFor('start');
    child.kill('SIGINT');
    await project.waitFor('cleanup-start');
    expect(isAlive(child.pid!)).toBe(true);
    child.kill('SIGINT');
    expect((await exited).code).toBe(130);
  });

  it('skips an unregistered cleanup, runs each in the async context it was registered in, accepts Symbol.asyncDispose', () => {
    const result = runScript(`
      import { onShutdown } from 'devsup/child';
      import { AsyncLocalStorage } from 'node:async_hooks';
      const als = new AsyncLocalStorage();
      const log = [];
      als.run('request-7', () => onShutdown('with context', () => { log.push('context ' + als.getStore()); }));
      const off = onShutdown('removed', () => { log.push('removed ran'); });
      onShutdown('disposable', { async [Symbol.asyncDispose]() { log.push('disposed'); } });
      off();
      process.on('exit', (code) => console.log(JSON.stringify({ log, code })));
      setInterval(() => {}, 1000);
      process.kill(process.pid, 'SIGTERM');
    `);
    expect(JSON.parse(result.stdout)).toEqual({ log: ['disposed', 'context request-7'], code: 0 });
  });

  it('CommonJS and ESM copies share one list of cleanups', () => {
    const result = runScript(`
      import { createRequire } from 'node:module';
      import { onShutdown } from 'devsup/child';
      const cjs = createRequire(import.meta.url)('devsup/child');
      const log = [];
      onShutdown('esm', () => { log.push('esm'); });
      cjs.onShutdown('cjs', () => { log.push('cjs'); });
      process.on('exit', () => console.log(JSON.stringify(log)));
      setInterval(() => {}, 1000);
      process.kill(process.pid, 'SIGTERM');
    `);
    expect(JSON.parse(result.stdout)).toEqual(['cjs', 'esm']);
  });

  it.each([
    ["onShutdown('', () => {})", 'onShutdown(name, fn): name must be a non-empty string'],
    ["onShutdown('x', 42)", 'onShutdown("x", fn): fn must be a function or an object with [Symbol.asyncDispose]()'],
    ["onShutdown('x', () => {}, { timeoutMs: -1 })", 'onShutdown("x"): timeoutMs must be a non-negative number, got -1'],
  ])('%s throws a TypeError that says what is wrong', (call, message) => {
    const result = runScript(`
      import { onShutdown } from 'devsup/child';
      try { ${call}; console.log('no error'); } catch (error) { console.log(error.name + ': ' + error.message); }
    `);
    expect(result.stdout.trim()).toBe(`TypeError: ${message}`);
  });

  it('an app that finishes its work still exits on its own (devsup/child keeps nothing alive)', () => {
    const result = runScript(`
      import { onShutdown, ready } from 'devsup/child';
      onShutdown('x', () => {});
      ready();
      console.log('done');
    `);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('done');
  });
});

describe('what importing it costs', () => {
  // Timing is measured in the benchmarks; here, the structural promise: nothing but Node's own modules, following
  // its own relative imports.
  function imports(file: string, seen = new Set<string>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/(?:from\s+|require\(|import\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    return specifiers.flatMap((s) => (s.startsWith('.') ? imports(join(dirname(file), s), seen) : [s]));
  }

  it.each(['dist/child/index.js', 'dist/cjs/child/index.js', 'dist/child/guard.js'])('%s loads only node: built-ins', (file) => {
    const specifiers = imports(join(ROOT, file));
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('node:'))).toEqual([]);
  });
});
