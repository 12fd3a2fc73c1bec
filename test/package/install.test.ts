// devsup as a project gets it: `npm pack`, the tarball installed into a fresh project, its types checked under each
// moduleResolution a project may use, and a CommonJS and an ESM TypeScript app run by the installed bin to one
// start and Ctrl-C. `npm test` builds dist before vitest runs; the pack here skips prepack (it would rebuild dist
// under the other test files' feet), and the build script it would run is checked for instead.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kill, ROOT, until } from '../helpers/harness.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
let work = '';
let project = '';
let installedWith = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'devsup-pack-'));
  execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, stdio: 'pipe' });
  const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  project = join(work, 'project');
  cpSync(join(ROOT, 'fixtures/installed-app'), project, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{ "private": true, "type": "module" }\n');
  // Offline first (the tarballs are in npm's cache since npm ci); npm ci does not cache the registry's package
  // documents, so --offline alone may fail: then --prefer-offline, which fetches only those.
  const errors: string[] = [];
  for (const mode of ['--offline', '--prefer-offline']) {
    const result = spawnSync('npm', ['install', mode, '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project, encoding: 'utf8', timeout: 45_000 });
    if (result.status === 0) {
      installedWith = mode;
      return;
    }
    errors.push(`npm install ${mode}: ${(result.stderr || String(result.error)).split('\n').find((l) => /error/.test(l)) ?? result.stderr}`);
  }
  throw new Error(`could not install the tarball (the network is needed for the registry's package documents):\n${errors.join('\n')}`);
}, 60_000);
afterAll(() => work && rmSync(work, { recursive: true, force: true }));

describe('the packed and installed package', () => {
  it('holds what the README links and the license; builds on prepack, not prepare', () => {
    console.log(`installed with npm install ${installedWith}`);
    const installed = join(project, 'node_modules/devsup');
    for (const file of ['LICENSE', 'README.md', 'docs/EVENTS.md', 'docs/PROTOCOL.md', 'docs/ARCHITECTURE.md', 'dist/cli/main.js', 'dist/child/index.d.ts', 'dist/cjs/child/index.d.ts', 'clients/python/devsup_child.py']) {
      expect(existsSync(join(installed, file)), file).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.scripts.prepare).toBeUndefined();
    // Every doc the README links is in the package.
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    for (const [, link] of readme.matchAll(/\]\((docs\/[^)#]+)/g)) expect(existsSync(join(installed, link!)), link).toBe(true);
  });

  it.each([
    ['node10', 'commonjs', ['server.ts']],
    ['node16', 'node16', ['server.ts', 'types.cts']],
    ['nodenext', 'nodenext', ['server.ts', 'types.cts']],
    ['bundler', 'esnext', ['server.ts']],
  ])('devsup/child and devsup type-check under moduleResolution %s', (resolution, module, files) => {
    const result = spawnSync(process.execPath, [
      TSC, '--noEmit', '--strict', '--skipLibCheck', '--esModuleInterop', '--target', 'es2022', '--module', module,
      '--moduleResolution', resolution, '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node', ...files,
    ], { cwd: project, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([['app.cjs', /cjs app up/], ['server.ts', /esm app up \(server\.ts\)/]])(
    'the installed devsup runs %s to one start, and Ctrl-C stops it after its cleanups',
    async (entry, up) => {
      const devsup = spawn(join(project, 'node_modules/.bin/devsup'), [entry], { cwd: project, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      devsup.stdout.on('data', (c: Buffer) => (out += c.toString()));
      devsup.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => devsup.on('exit', (code) => resolve(code)));
      try {
        await until(`the app to be ready — so far:\n${out}`, () => /ready in \d+ ms/.test(out) && up.test(out), 20_000);
        devsup.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(out).toMatch(/cleanups: timer \d+ ms/);
      } finally {
        kill(devsup.pid!);
      }
    },
  );
});
