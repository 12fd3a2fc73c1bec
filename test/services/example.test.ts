// examples/framework-dev: the framework-style dev command, run for real in a throwaway copy.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, kill, makeProject, ROOT, sleep, until } from '../helpers/harness.js';

describe('examples/framework-dev', () => {
  it('restarts for a loaded file, not for another; a broken build starts nothing until fixed; Ctrl-C exits 0', async () => {
    const dir = makeProject('framework-dev');
    cpSync(join(ROOT, 'examples/framework-dev'), dir, { recursive: true });
    const port = await freePort();
    const dev = spawn(process.execPath, ['dev.mjs'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    onTestFinished(() => kill(dev.pid!));
    let out = '';
    dev.stdout.on('data', (c: Buffer) => (out += c.toString()));
    dev.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => dev.on('exit', (code) => resolve(code)));
    const count = (s: string) => out.split(s).length - 1;
    const get = async () => (await fetch(`http://127.0.0.1:${port}/`)).text();

    await until(`ready — so far:\n${out}`, () => count('[mini] ready') === 1);
    expect(out).toContain('[app] listening on');
    expect(await get()).toBe('hello home\n');
    writeFileSync(join(dir, 'app/notes.txt'), 'edited\n');
    await sleep(500);
    expect(count('[mini] ready')).toBe(1);
    writeFileSync(join(dir, 'app/lib.mjs'), "export default 'hi';\n");
    await until(`the restart — so far:\n${out}`, () => count('[mini] ready') === 2);
    expect(await get()).toBe('hi home\n');
    writeFileSync(join(dir, 'app/routes.json'), '{ "/": ');
    await until(`the failed build — so far:\n${out}`, () => out.includes('[mini] fix the error above'));
    expect(out).toMatch(/build step failed after \d+ ms:\n.*SyntaxError/);
    await expect(get()).rejects.toThrow();
    writeFileSync(join(dir, 'app/routes.json'), '{ "/": "home again" }');
    await until(`the fixed build — so far:\n${out}`, () => count('[mini] ready') === 3);
    expect(await get()).toBe('hi home again\n');
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
