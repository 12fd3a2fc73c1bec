// .gitignore, with git's semantics: root and nested files, folder-only rules, negation; and in a real run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitIgnores } from '../../src/watch/gitignore.js';
import { Project, sleep } from '../helpers/harness.js';

describe('GitIgnores', () => {
  const root = mkdtempSync(join(tmpdir(), 'devsup-gitignore-'));
  mkdirSync(join(root, 'packages/a'), { recursive: true });
  writeFileSync(join(root, '.gitignore'), 'logs/\n*.db\n!keep.db\n/local.json\n');
  writeFileSync(join(root, 'packages/a/.gitignore'), 'generated/\n');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const git = new GitIgnores(root);

  it.each([
    ['logs', true, true],
    ['logs/app.txt', false, true],
    ['data/app.db', false, true],
    ['keep.db', false, false],
    ['local.json', false, true],
    ['src/local.json', false, false],
    ['packages/a/generated', true, true],
    ['packages/a/generated/x.ts', false, true],
    ['packages/b/generated/x.ts', false, false],
    ['src/server.ts', false, false],
  ])('%s (folder: %s) → %s', (path, isDir, expected) => {
    expect(git.ignores(path, isDir)).toBe(expected);
  });
});

describe('in a run', () => {
  it('a git-ignored file never restarts the app; a file named with --watch does, even if git ignores it', async () => {
    const project = new Project('cleanup-order.ts');
    project.write('.gitignore', '*.db\ntmp/\n.env\n');
    mkdirSync(join(project.dir, 'tmp'));
    const devsup = project.run([project.entry, '--watch', '.', '--watch', '.env']);
    await devsup.ready();
    project.write('app.db', 'rows');
    project.write('tmp/cache.mjs', 'export default 1;\n');
    await sleep(700);
    expect(devsup.count(/restarting/)).toBe(0);
    project.write('.env', 'A=1\n');
    await project.waitFor('start', 2);
    expect(devsup.count(/change in \.env → restarting/)).toBe(1);
  });
});
