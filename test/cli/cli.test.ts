// Bad input at the command line: one line saying what is wrong and what to do, and exit code 2.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/harness.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'devsup-cli-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  writeFileSync(join(dir, 'src/server.ts'), 'export {};\n');
  writeFileSync(join(dir, 'README.md'), '# app\n');
  writeFileSync(join(dir, 'app.py'), 'print(1)\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function devsup(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('bad input', () => {
  it.each([
    [['run', 'src/nosuch.ts'], '[devsup] error: entry not found: src/nosuch.ts (check the path)'],
    [['run', 'src/sever.ts'], '[devsup] error: entry not found: src/sever.ts (did you mean src/server.ts?)'],
    [['run', 'src'], '[devsup] error: entry is a directory: src (name the file that starts the app, e.g. src/server.ts)'],
    [['run', 'README.md'], '[devsup] error: cannot run README.md: not a JavaScript, TypeScript or Python file (entries end in .ts, .mts, .cts, .tsx, .js, .mjs, .cjs, .jsx, .py)'],
    [['run', 'app.py', '--python', 'nosuch-python3'], '[devsup] error: cannot run app.py: Python interpreter not found: nosuch-python3 (install Python 3, or name the interpreter with --python or python in supervisor.config.ts)'],
    [['run', 'app.py', '--python', 'venv/bin/python'], '[devsup] error: cannot run app.py: Python interpreter not found: <dir>/venv/bin/python (install Python 3, or name the interpreter with --python or python in supervisor.config.ts)'],
    [['run', 'app.py', '--python', './src'], '[devsup] error: cannot run app.py: Python interpreter not found: <dir>/src (install Python 3, or name the interpreter with --python or python in supervisor.config.ts)'],
    [[], '[devsup] error: no entry to run (devsup run src/server.ts, or set entry in supervisor.config.ts)'],
    [['run'], '[devsup] error: no entry to run (devsup run src/server.ts, or set entry in supervisor.config.ts)'],
    [['run', 'src/server.ts', '--stop-timout', '5'], '[devsup] error: unknown option --stop-timout (did you mean --stop-timeout?)'],
    [['run', 'src/server.ts', '--frobnicate'], '[devsup] error: unknown option --frobnicate (an argument for the app goes after --: devsup <entry> -- --frobnicate; a flag for node goes through --node-arg=--frobnicate)'],
    [['run', 'src/server.ts', '--stop-timeout', '5s'], '[devsup] error: command line: --stop-timeout must be a non-negative number of milliseconds, got "5s"'],
    [['run', 'src/server.ts', '--stop-timeout=-5'], '[devsup] error: command line: --stop-timeout must be a non-negative number of milliseconds, got -5'],
    [['run', 'src/server.ts', '--kill-grace', 'NaN'], '[devsup] error: command line: --kill-grace must be a non-negative number of milliseconds, got "NaN"'],
    [['run', 'src/server.ts', '--signal', 'SIGNOPE'], '[devsup] error: command line: --signal must be a signal name such as "SIGTERM" or "SIGINT", got "SIGNOPE"'],
    [['run', 'src/server.ts', '--config', 'nope.config.ts'], '[devsup] error: config file not found: <dir>/nope.config.ts (check the --config path)'],
    [['run', 'src/server.ts', '--config', 'src'], '[devsup] error: config file is a directory: src (give --config a supervisor.config.ts file)'],
    [['serve', 'src/server.ts'], '[devsup] error: unknown command "serve" (devsup run <entry>)'],
    [['exce', '--', 'ls'], '[devsup] error: unknown command "exce" (did you mean devsup exec?)'],
    [['exec'], '[devsup] error: nothing to exec (devsup exec -- python app.py)'],
    [['run', 'src/server.ts', '--on-crash', 'retry'], '[devsup] error: command line: --on-crash must be one of "wait", "restart", "exit", got "retry"'],
    [['run', 'src/server.ts', '--dotenv', 'nope.env'], '[devsup] error: env file not found: nope.env (check envFile / --dotenv)'],
    [['src/server.ts', '-w'], '[devsup] error: option -w/--watch needs a value (see devsup --help)'],
    [['src/server.ts', '--exec'], '[devsup] error: option -x/--exec needs a value (see devsup --help)'],
    [['run', 'src/server.ts', '--poll=often'], '[devsup] error: command line: --poll must be true, false or an interval in milliseconds, got "often"'],
  ])('devsup %j', (args, line) => {
    const result = devsup(...args);
    expect(result.stderr.trim().replaceAll(dir, '<dir>')).toBe(line);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
  });
});

describe('help and version', () => {
  it('usage errors are JSON lines under --log-format json', () => {
    const result = devsup('src/server.ts', '--log-format', 'json', '-w');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ level: 50, name: 'devsup', code: 'USAGE', msg: 'error: option -w/--watch needs a value (see devsup --help)' });
    const unknown = devsup('--log-format=json', 'src/server.ts', '--frobnicate');
    expect(JSON.parse(unknown.stderr)).toMatchObject({ code: 'USAGE', msg: expect.stringContaining('unknown option --frobnicate') });
    const missing = devsup('--log-format', 'json', 'run', 'src/nosuch.ts');
    expect(JSON.parse(missing.stderr.trim().split('\n').at(-1)!)).toMatchObject({ code: 'ENTRY_NOT_FOUND' });
  });

  it('--help fits 80 columns, with the defaults in one column', () => {
    const lines = devsup('--help').stdout.split('\n');
    expect(lines.filter((line) => [...line].length > 80)).toEqual([]);
    const column = lines.find((line) => line.startsWith('Options'))!.indexOf('default');
    for (const [flag, value] of [['--stop-timeout', '5000'], ['--signal', 'SIGTERM'], ['--quiet-period', '20'], ['--on-crash', 'wait'], ['--log-format', 'human']]) {
      const line = lines.find((l) => new RegExp(`^  (-\\w, )?${flag} `).test(l))!;
      expect(line.slice(column)).toBe(value);
      expect(line[column - 1]).toBe(' ');
    }
  });

  it('--help lists every option with its default', () => {
    const result = devsup('--help');
    expect(result.code).toBe(0);
    for (const option of ['--stop-timeout', '--kill-grace', '--ready-timeout', '--signal', '--quiet-period', '--delay', '--legacy-watch', '-L', '--exitcrash', '--no-stdin', '--inspect', '--require', '--watch', '--ignore', '--ext', '--poll', '--exec', '--shell', '--node-arg', '--python', '--dotenv', '--on-crash', '--clear', '--config', '--log-format', '--quiet', '--verbose', '--version']) {
      expect(result.stdout).toContain(option);
    }
  });

  it('--version prints the package version', () => {
    expect(devsup('--version')).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});
