// One options model: defaults < config file < command line, each invalid value named with what was expected.
import { describe, expect, it } from 'vitest';
import { fromNodemon } from '../../src/config/nodemon.js';
import { normalize, type Layer } from '../../src/config/normalize.js';
import { defaults } from '../../src/config/schema.js';
import { DevsupError } from '../../src/core/errors.js';

const kebab = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const file = (values: Record<string, unknown>): Layer => ({ source: 'supervisor.config.ts', values, base: '/project' });
const cli = (values: Record<string, unknown>): Layer => ({ source: 'command line', values, base: '/work', spell: kebab });

function errorOf(fn: () => unknown): DevsupError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DevsupError) return error;
    throw error;
  }
  throw new Error('expected a DevsupError');
}

describe('normalize', () => {
  it('fills in the defaults', () => {
    const options = normalize([], '/project');
    expect(options).toMatchObject({ ...defaults, cwd: '/project', entry: undefined, watch: [], watchAll: false });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('lets the command line win over the config file, key by key', () => {
    const options = normalize([file({ stopTimeout: 8000, killGrace: 300, entry: 'src/a.ts' }), cli({ stopTimeout: 100 })], '/work');
    expect(options.stopTimeout).toBe(100);
    expect(options.killGrace).toBe(300);
  });

  it('resolves paths against the layer they came from', () => {
    expect(normalize([file({ entry: 'src/a.ts', watch: ['src'] })], '/elsewhere')).toMatchObject({
      entry: '/project/src/a.ts',
      watch: ['/project/src'],
    });
    expect(normalize([file({ entry: 'src/a.ts' }), cli({ entry: 'b.ts' })]).entry).toBe('/work/b.ts');
  });

  it.each([
    [file({ stopTimeout: '5s' }), 'supervisor.config.ts: stopTimeout must be a non-negative number of milliseconds, got "5s"'],
    [cli({ stopTimeout: -5 }), 'command line: --stop-timeout must be a non-negative number of milliseconds, got -5'],
    [cli({ killGrace: Number.NaN }), 'command line: --kill-grace must be a non-negative number of milliseconds, got NaN'],
    [file({ signal: 'SIGKILL' }), 'supervisor.config.ts: signal must be a signal name such as "SIGTERM" or "SIGINT", got "SIGKILL"'],
    [file({ logFormat: 'pretty' }), 'supervisor.config.ts: logFormat must be one of "human", "json", got "pretty"'],
    [file({ watch: 'src' }), 'supervisor.config.ts: watch must be an array of paths or globs, or false, got "src"'],
    [file({ watchAll: 'yes' }), 'supervisor.config.ts: watchAll must be true or false, got "yes"'],
    [file({ args: 'x' }), 'supervisor.config.ts: args must be an array of strings, got "x"'],
    [file({ env: { A: 1 } }), 'supervisor.config.ts: env must be an object of string values, got an object'],
    [file({ entry: '' }), 'supervisor.config.ts: entry must be a non-empty string, got ""'],
    [file({ python: '' }), 'supervisor.config.ts: python must be a non-empty string, got ""'],
    [cli({ python: ['python3'] }), 'command line: --python must be a non-empty string, got an array'],
  ])('rejects %o', (layer, message) => {
    const error = errorOf(() => normalize([layer]));
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
  });

  it('rejects an unknown key with a suggestion', () => {
    const error = errorOf(() => normalize([file({ stopTimout: 100 })]));
    expect(error.line).toBe('supervisor.config.ts: unknown option stopTimout (did you mean stopTimeout?)');
    expect(errorOf(() => normalize([file({ pyhton: 'python3' })])).line).toBe('supervisor.config.ts: unknown option pyhton (did you mean python?)');
  });

  it.each([
    [[], 'python3'],
    [[file({ python: 'python3.12' })], 'python3.12'],
    [[file({ python: '.venv/bin/python' })], '/project/.venv/bin/python'],
    [[file({ python: '.venv/bin/python' }), cli({ python: 'venv/bin/python' })], '/work/venv/bin/python'],
    [[cli({ python: '/usr/bin/python3' })], '/usr/bin/python3'],
  ])('python: %j → %s (a name is looked up on the PATH, a path is relative to where it was written)', (layers, python) => {
    expect(normalize(layers as Layer[], '/work').python).toBe(python);
  });
});

describe('normalize, for the new keys', () => {
  const layer = (values: Record<string, unknown>) => ({ source: 'supervisor.config.ts', values, base: '/p' });
  it('splits an exec string like execa does, keeps an array as it is', () => {
    expect(normalize([layer({ exec: 'python -u app.py' })]).exec).toEqual(['python', '-u', 'app.py']);
    expect(normalize([layer({ exec: ['my tool', '--x'] })]).exec).toEqual(['my tool', '--x']);
    expect(normalize([layer({ exec: '  my\\ tool   --x ' })]).exec).toEqual(['my tool', '--x']);
  });
  it('normalizes extensions and polling', () => {
    expect(normalize([layer({ ext: '.TS, json' })]).ext).toEqual(['ts', 'json']);
    expect(normalize([layer({ poll: true })]).poll).toBe(100);
    expect(normalize([layer({ poll: 250 })]).poll).toBe(250);
    expect(normalize([layer({})]).poll).toBe(false);
  });
  it('rejects a hook that is not a function, or an unknown hook', () => {
    expect(() => normalize([layer({ hooks: { ready: 'yes' } })])).toThrow(
      'supervisor.config.ts: hooks must be an object of functions named started, ready, restarting, crashed, exited, got an object',
    );
    expect(() => normalize([layer({ hooks: { onReady: () => {} } })])).toThrow(/hooks must be an object of functions/);
  });
  it('lets command-line flags win over a nodemon.json', () => {
    const nodemon = { source: 'nodemon.json', values: fromNodemon({ delay: 2, signal: 'SIGINT' }).values, base: '/p' };
    const cli = { source: 'command line', values: { quietPeriod: 10 }, base: '/p' };
    expect(normalize([nodemon, cli])).toMatchObject({ quietPeriod: 10, signal: 'SIGINT' });
  });
  it('takes the deprecated debounce as quietPeriod, with one line naming the new key; the new key wins over it', () => {
    const lines: string[] = [];
    expect(normalize([layer({ debounce: 40 })], '/p', (l) => lines.push(l))).toMatchObject({ quietPeriod: 40 });
    expect(normalize([layer({ debounce: 40 })], '/p', () => {})).not.toHaveProperty('debounce');
    expect(lines).toEqual(['supervisor.config.ts: debounce is deprecated: it is quietPeriod now (the same milliseconds)']);
    expect(normalize([cli({ debounce: 40 })], '/p', (l) => lines.push(l)).quietPeriod).toBe(40);
    expect(lines[1]).toBe('command line: --debounce is deprecated: it is --quiet-period now (the same milliseconds)');
    expect(normalize([layer({ debounce: 40, quietPeriod: 90 })], '/p', () => {}).quietPeriod).toBe(90);
    expect(normalize([layer({})], '/p', () => {})).toMatchObject({ quietPeriod: 20 });
  });
  it('accepts the hooks named as the events, and the first names with a deprecation line; Options keeps the first names', () => {
    const lines: string[] = [];
    const f = () => {};
    const g = () => {};
    expect(normalize([layer({ hooks: { started: f, ready: g, restarting: f, crashed: f, exited: f } })], '/p', (l) => lines.push(l)).hooks).toEqual({ start: f, ready: g, restart: f, crash: f, exit: f });
    expect(lines).toEqual([]);
    expect(normalize([layer({ hooks: { start: f, crash: g } })], '/p', (l) => lines.push(l)).hooks).toEqual({ start: f, crash: g });
    expect(lines).toEqual([
      'supervisor.config.ts: hook start is deprecated: it is started now (named as the event it runs on)',
      'supervisor.config.ts: hook crash is deprecated: it is crashed now (named as the event it runs on)',
    ]);
    expect(() => normalize([layer({ hooks: { start: f, started: g } })], '/p', () => {})).toThrow('supervisor.config.ts: hooks started and start are the same hook');
  });
});
