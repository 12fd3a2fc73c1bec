// One options model: defaults < config file < command line, each invalid value named with what was expected.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults, loadConfigFile, normalize, type Layer } from '../../src/config/config.js';
import { DevsupError } from '../../src/core/errors.js';
import { ROOT } from '../helpers/harness.js';

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
    [file({ watch: 'src' }), 'supervisor.config.ts: watch must be an array of paths or globs, got "src"'],
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

describe('loadConfigFile', () => {
  const dir = join(ROOT, '.tmp', `config-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a TypeScript config written with defineConfig', async () => {
    const path = join(dir, 'supervisor.config.ts');
    writeFileSync(path, "import { defineConfig } from 'devsup';\nconst ms: number = 1234;\nexport default defineConfig({ entry: 'app.ts', stopTimeout: ms });\n");
    const layer = await loadConfigFile(path);
    expect(layer.values).toEqual({ entry: 'app.ts', stopTimeout: 1234 });
    expect(normalize([layer]).entry).toBe(join(dir, 'app.ts'));
  });

  it('names the file and line of a config that throws', async () => {
    const path = join(dir, 'throws.config.mjs');
    writeFileSync(path, "\n\nthrow new Error('no config today');\n");
    const error = await loadConfigFile(path).then(() => undefined, (e: unknown) => e as DevsupError);
    expect(error?.message).toMatch(/throws\.config\.mjs:3: no config today$/);
  });

  it('names the file of a config that does not compile', async () => {
    const path = join(dir, 'broken.config.ts');
    writeFileSync(path, 'export default {\n  entry: "a.ts",,\n};\n');
    const error = await loadConfigFile(path).then(() => undefined, (e: unknown) => e as DevsupError);
    expect(error?.code).toBe('CONFIG_LOAD_FAILED');
    expect(error?.message).toMatch(/broken\.config\.ts(:\d+)?: /);
  });

  it('rejects a default export that is not an object', async () => {
    const path = join(dir, 'number.config.mjs');
    writeFileSync(path, 'export default 42;\n');
    const error = await loadConfigFile(path).then(() => undefined, (e: unknown) => e as DevsupError);
    expect(error?.message).toMatch(/number\.config\.mjs: the default export must be a config object, got 42$/);
  });
});
