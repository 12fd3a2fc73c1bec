// nodemon's habits under devsup (issue 14), each in a real run: bare `devsup`, nodemon's flags and node's own, exec
// through a shell, delay as nodemon reads it, node_modules/.bin on the PATH, the exit code after Ctrl-C.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT, until } from '../helpers/harness.js';

describe('bare devsup runs the configured entry, as bare nodemon does', () => {
  it("package.json's main", async () => {
    const project = new Project('env-echo.mjs');
    project.write('package.json', JSON.stringify({ private: true, type: 'module', main: 'env-echo.mjs' }));
    const devsup = project.run([], { args: [] });
    await devsup.ready();
    expect(devsup.lines()[0]).toMatch(/^\[devsup\] started env-echo\.mjs \(pid \d+\)$/);
  });

  it("nodemon.json's script wins over main", async () => {
    const project = new Project('env-echo.mjs');
    project.write('package.json', JSON.stringify({ private: true, type: 'module', main: 'nosuch.mjs' }));
    project.write('nodemon.json', JSON.stringify({ script: 'env-echo.mjs' }));
    const devsup = project.run([], { args: [] });
    await devsup.ready();
    await devsup.waitForLine(/started env-echo\.mjs/);
  });

  it('supervisor.config.ts entry, with options and no entry on the command line', async () => {
    const project = new Project('env-echo.mjs');
    project.write('supervisor.config.mjs', "export default { entry: 'env-echo.mjs' };\n");
    const devsup = project.run([], { args: ['--stop-timeout', '700'] });
    await devsup.ready();
    await devsup.waitForLine(/started env-echo\.mjs/);
  });
});

describe("nodemon's flags and node's own", () => {
  it('nodemon -L -r tsconfig-paths/register src/app/index.ts --watch "src/**/*.{ts,js}", with devsup in its place', async () => {
    const project = new Project('env-echo.mjs');
    cpSync(join(ROOT, 'fixtures/nodemon-flags'), project.dir, { recursive: true });
    const devsup = project.run([], { args: ['-L', '-r', './preload.cjs', 'src/app/index.ts', '--watch', 'src/**/*.{ts,js}', '--inspect=0', '--', '--port', '4000'] });
    await devsup.ready();
    const [first] = await project.waitFor('start');
    expect(first).toMatchObject({ preloaded: 'by -r ./preload.cjs', argv: ['--port', '4000'] });
    expect(first!.execArgv).toEqual(expect.arrayContaining(['-r', './preload.cjs', '--inspect=0']));
    // A file the app never loads, named by the glob, restarts it (-L: found by polling).
    project.write('src/app/other.js', 'export {};\n');
    await project.waitFor('start', 2);
    await devsup.waitForLine(/change in src\/app\/other\.js → restarting/);
  });

  it('--exitcrash ends devsup with the crash, --no-stdin leaves stdin alone, --spawn says it is not needed', async () => {
    const project = new Project('crashes.mjs');
    const devsup = project.run([], { args: ['crashes.mjs', '--exitcrash', '--no-stdin', '--spawn'], env: { EXIT_CODE: '4' } });
    expect(await devsup.exited).toEqual({ code: 4, signal: null });
    await devsup.waitForLine(/--spawn: not needed, devsup always spawns the app/);
    await devsup.waitForLine(/exiting \(onCrash: exit\)/);
  });
});

describe('exec as nodemon runs it', () => {
  it('through a shell when it has shell operators: nodemon.json "node --version && node app.mjs" runs both', async () => {
    const project = new Project('argv-echo.mjs');
    project.write('nodemon.json', JSON.stringify({ exec: 'node --version && node argv-echo.mjs one' }));
    const devsup = project.run([], { args: [] });
    const [first] = await project.waitFor('start');
    expect(first!.argv).toEqual(['one']);
    await until('node --version on stdout', () => /^v\d+\.\d+\.\d+$/m.test(devsup.stdout));
  });

  it('through a shell, with the app arguments devsup appends quoted for it', async () => {
    const project = new Project('argv-echo.mjs');
    project.run([], { args: ['--exec', 'cd . && node argv-echo.mjs', '--', "it's one", '$HOME'] });
    const [first] = await project.waitFor('start');
    expect(first!.argv).toEqual(["it's one", '$HOME']);
  });

  it('split as a shell would: --exec "node argv-echo.mjs \'hello world\'" gives the app one argument', async () => {
    const project = new Project('argv-echo.mjs');
    project.run([], { args: ['--exec', "node argv-echo.mjs 'hello world' \"a b\" c\\ d"] });
    const [first] = await project.waitFor('start');
    expect(first!.argv).toEqual(['hello world', 'a b', 'c d']);
  });
});

describe('delay, read as nodemon reads it', () => {
  it('nodemon.json "delay": "500" is 500 ms (named in the using line), not 500 s', async () => {
    const project = new Project('env-echo.mjs');
    project.write('nodemon.json', JSON.stringify({ delay: '500' }));
    const devsup = project.run(['env-echo.mjs']);
    await devsup.ready();
    await devsup.waitForLine(/using nodemon\.json \(no supervisor\.config\.ts found\); delay "500" = 500 ms$/);
    const changed = Date.now();
    project.write('.env', 'X=1\n');
    const [, second] = await project.waitFor('start', 2, 10_000);
    expect(second!.t - changed).toBeGreaterThanOrEqual(450);
    expect(second!.t - changed).toBeLessThan(5000);
  });

  it('--delay 300ms is milliseconds on the command line (seconds without ms); --config names a nodemon.json', async () => {
    const project = new Project('env-echo.mjs');
    project.write('dev.nodemon.json', JSON.stringify({ script: 'env-echo.mjs', delay: 2500 }));
    const devsup = project.run([], { args: ['--config', 'dev.nodemon.json', '--delay', '300ms', '-V'] });
    await devsup.ready();
    await devsup.waitForLine(/using dev\.nodemon\.json \(--config\); delay 2500 = 2500 ms$/);
    const changed = Date.now();
    project.write('.env', 'X=1\n');
    const [, second] = await project.waitFor('start', 2, 10_000);
    expect(second!.t - changed).toBeGreaterThanOrEqual(250);
    expect(second!.t - changed).toBeLessThan(2000);
  });
});

describe('node_modules/.bin on the PATH, as nodemon and npm run put it', () => {
  it('exec finds a command installed in the project, or in a folder above it', async () => {
    const project = new Project('argv-echo.mjs');
    const bin = join(project.dir, 'node_modules/.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'devsup-test-tool'), `#!/bin/sh\nexec "${process.execPath}" argv-echo.mjs tool "$@"\n`, { mode: 0o755 });
    project.write('nodemon.json', JSON.stringify({ exec: 'devsup-test-tool from-nodemon-json' }));
    const devsup = project.run([], { args: [] });
    const [first] = await project.waitFor('start');
    expect(first!.argv).toEqual(['tool', 'from-nodemon-json']);
    expect(devsup.count(/command not found/)).toBe(0);
  });

  it('puts <cwd>/node_modules/.bin and each one above it first, nearest first', async () => {
    const project = new Project('env-echo.mjs');
    mkdirSync(join(project.dir, 'packages/app'), { recursive: true });
    cpSync(join(project.dir, 'env-echo.mjs'), join(project.dir, 'packages/app/env-echo.mjs'));
    cpSync(join(project.dir, 'record.mjs'), join(project.dir, 'packages/app/record.mjs'));
    project.write('packages/app/supervisor.config.mjs', "export default { entry: 'env-echo.mjs', cwd: '.' };\n");
    project.write('packages/app/print-path.mjs', "import { record } from './record.mjs';\nrecord('start', { PATH: process.env.PATH });\nsetInterval(() => {}, 1000);\n");
    project.run([], { args: ['--exec', 'node print-path.mjs', '--config', 'packages/app/supervisor.config.mjs'] });
    const [first] = await project.waitFor('start');
    const path = String(first!.PATH).split(':');
    const app = join(project.dir, 'packages/app');
    expect(path.slice(0, 3)).toEqual([join(app, 'node_modules/.bin'), join(project.dir, 'packages/node_modules/.bin'), join(project.dir, 'node_modules/.bin')]);
    expect(path).toContain('/usr/bin');
  });
});

describe('the exit code after a signal to devsup', () => {
  it.each([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const)(
    '%s to devsup alone, the app without devsup/child stopped by its SIGTERM: exits %i, as nodemon and tsx watch',
    async (signal, code) => {
      const project = new Project('env-echo.mjs');
      const devsup = project.run(['env-echo.mjs']);
      await devsup.ready();
      devsup.process.kill(signal);
      expect(await devsup.exited).toEqual({ code, signal: null });
    },
  );

  it("an app that ends with a code of its own (its cleanups ran): devsup exits with that code", async () => {
    const project = new Project('commonjs-app.cts');
    const devsup = project.run([project.entry]);
    await devsup.ready();
    devsup.process.kill('SIGINT');
    expect(await devsup.exited).toEqual({ code: 0, signal: null });
  });
});

describe('vocabulary (issue 12): quietPeriod and hooks named as the events', () => {
  it('debounce and the hook start still work, each with one deprecation line naming the new name', async () => {
    const project = new Project('env-echo.mjs');
    project.write('supervisor.config.mjs', [
      "import { appendFileSync } from 'node:fs';",
      'const hook = (name) => () => appendFileSync(process.env.EVENTS, JSON.stringify({ event: `hook:${name}` }) + "\\n");',
      "export default { entry: 'env-echo.mjs', debounce: 400, hooks: { start: hook('start'), restarting: hook('restarting') } };",
      '',
    ].join('\n'));
    const devsup = project.run([], { args: [] });
    await devsup.ready();
    await project.waitFor('hook:start');
    await devsup.waitForLine(/supervisor\.config\.mjs: debounce is deprecated: it is quietPeriod now/);
    await devsup.waitForLine(/supervisor\.config\.mjs: hook start is deprecated: it is started now/);
    expect(devsup.count(/deprecated/)).toBe(2);
    const changed = Date.now();
    project.write('.env', 'X=1\n');
    const [, second] = await project.waitFor('start', 2, 10_000);
    await project.waitFor('hook:restarting');
    expect(second!.t - changed).toBeGreaterThanOrEqual(350);
  });

  it('--quiet-period sets it; --debounce says it is deprecated', async () => {
    const project = new Project('env-echo.mjs');
    const devsup = project.run(['env-echo.mjs', '--debounce', '50']);
    await devsup.ready();
    await devsup.waitForLine(/command line: --debounce is deprecated: it is --quiet-period now/);
  });
});
