// Loading supervisor.config.*: TypeScript or JavaScript, its errors named by file and line.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load-file.js';
import { normalize } from '../../src/config/normalize.js';
import type { DevsupError } from '../../src/core/errors.js';
import { ROOT } from '../helpers/harness.js';

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
