// .gitignore, with git's semantics: root and nested files, folder-only rules, negation; and in a real run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GitIgnores } from '../../src/watch/gitignore.js';
import { Project } from '../helpers/harness.js';

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
    const devsup = project.run([project.entry, '--watch', '.', '--watch', '.env', '--events', project.lifecycleFile]);
    await devsup.ready();
    project.write('app.db', 'rows');
    project.write('tmp/cache.mjs', 'export default 1;\n');
    // app.db is in the watched root: seen, and restarts nothing. tmp/ is pruned from the walk: never seen at all.
    await project.waitForIgnored('app.db', 'ignored by .gitignore');
    expect(devsup.count(/restarting/)).toBe(0);
    // The sentinel: had tmp/cache.mjs been taken for a change, it would be a restart of its own or named in this one's trigger.
    project.write('.env', 'A=1\n');
    await project.waitFor('start', 2);
    expect(devsup.count(/change in \.env → restarting/)).toBe(1);
    await devsup.waitForLine(/restart #1: /);
    expect(devsup.matching(/restarting/)).toEqual(['[devsup] change in .env → restarting']);
    expect(devsup.count(/restart #1: change in \.env · /)).toBe(1);
    expect(project.lifecycle('changed').flatMap((e) => e.paths as string[])).not.toContain('tmp/cache.mjs');
    expect(project.lifecycle('ignored').map((e) => e.path)).toEqual(['app.db']);
  });
});
