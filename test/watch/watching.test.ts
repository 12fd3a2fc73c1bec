// What restarts the app, on real files and processes: the module graph Node reports, `--watch` globs, the ignores,
// a burst of thousands of files, an app writing its own files, and a watch limit that runs out.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, restartSentinel, sleep, until } from '../helpers/harness.js';

/** Writes files (creating folders) in the project. */
function files(project: Project, entries: Record<string, string>): void {
  for (const [name, content] of Object.entries(entries)) {
    mkdirSync(join(project.dir, name, '..'), { recursive: true });
    writeFileSync(join(project.dir, name), content);
  }
}

const starts = (project: Project) => project.named('start').length;

describe('the module graph', () => {
  it('restarts for the modules the app loads, dynamic imports once imported, and for nothing else', async () => {
    const project = new Project('module-graph.ts');
    files(project, {
      'lib/helper.mjs': 'export default 1;\n',
      'plugin.mjs': 'export default 1;\n',
      'notes.md': '# notes\n',
      'app.test.ts': '// a test file\n',
    });
    const devsup = project.run([project.entry, '--events', project.lifecycleFile], { env: { IMPORTS: './lib/helper.mjs' } });
    await devsup.ready();
    await project.waitFor('start');
    // Files the app never loaded: a README, a test, a module it has not imported yet. Each is seen, and restarts nothing.
    files(project, { 'notes.md': '# edited\n', 'app.test.ts': '// edited\n', 'plugin.mjs': 'export default 2;\n' });
    await project.waitForIgnored('notes.md', 'not loaded by the app');
    await project.waitForIgnored('app.test.ts', 'not loaded by the app');
    await project.waitForIgnored('plugin.mjs', 'not loaded by the app');
    expect(starts(project)).toBe(1);
    expect(devsup.count(/→ restarting/)).toBe(0);
    files(project, { 'lib/helper.mjs': 'export default 2;\n' });
    await devsup.waitForLine(/restart #1: change in lib\/helper\.mjs ·/);
    const [, second] = await project.waitFor('start', 2);
    // Once imported (late, on a signal), the plugin restarts the app too.
    process.kill(second!.pid, 'SIGUSR2');
    await project.waitFor('plugin');
    files(project, { 'plugin.mjs': 'export default 3;\n' });
    await devsup.waitForLine(/restart #2: change in plugin\.mjs ·/);
    await project.waitFor('start', 3);
    expect(starts(project)).toBe(3);
    expect(devsup.stderr).not.toMatch(/notes\.md|app\.test\.ts/);
    expect(project.lifecycle('changed').flatMap((e) => e.paths as string[])).not.toContain('notes.md');
    expect(project.lifecycle('changed').flatMap((e) => e.paths as string[])).not.toContain('app.test.ts');
  });

  it('never restarts for node_modules it imports; does for a linked workspace package and a --watch glob', async () => {
    const project = new Project('module-graph.ts');
    files(project, {
      'node_modules/dep/package.json': '{ "name": "dep", "exports": "./index.mjs" }\n',
      'node_modules/dep/index.mjs': 'export default 1;\n',
      'packages/shared/package.json': '{ "name": "shared", "exports": "./index.mjs" }\n',
      'packages/shared/index.mjs': 'export default 1;\n',
      'config/sub/app.yml': 'a: 1\n',
      'config/readme.txt': 'not yml\n',
    });
    symlinkSync(join(project.dir, 'packages/shared'), join(project.dir, 'node_modules/shared'), 'junction');
    const devsup = project.run([project.entry, '--watch', 'config/**/*.yml', '--events', project.lifecycleFile], { env: { IMPORTS: 'dep,shared' } });
    await devsup.ready();
    await project.waitFor('start');
    files(project, { 'node_modules/dep/index.mjs': 'export default 2;\n', 'config/readme.txt': 'edited\n' });
    // The readme is in a watched folder: seen, and restarts nothing.
    await project.waitForIgnored('config/readme.txt', 'not matched by watch');
    expect(starts(project)).toBe(1);
    // node_modules is never watched, so its edit is never seen: the glob's file is the sentinel. Had the edit been
    // taken for a change, it would be a restart of its own or named in this one's trigger.
    files(project, { 'config/sub/app.yml': 'a: 2\n' });
    await devsup.waitForLine(/restart #1: change in config\/sub\/app\.yml ·/);
    await project.waitFor('start', 2);
    expect(devsup.matching(/→ restarting/)).toEqual(['[devsup] change in config/sub/app.yml → restarting']);
    expect(project.lifecycle('settled')).toEqual([expect.objectContaining({ paths: ['config/sub/app.yml'] })]);
    files(project, { 'packages/shared/index.mjs': 'export default 2;\n' });
    await devsup.waitForLine(/restart #2: change in packages\/shared\/index\.mjs ·/);
    await project.waitFor('start', 3);
    expect(starts(project)).toBe(3);
    expect(devsup.stderr).not.toMatch(/node_modules\/dep|readme\.txt/);
  });

  it('a module written after the app loaded it restarts the app, however late devsup reads the report', async () => {
    // On a busy machine Node's report of a module can wait unread while the app goes on and the file is saved again.
    // devsup is stopped (SIGSTOP) to hold that window open as long as the test needs.
    const project = new Project('module-graph.ts');
    files(project, { 'plugin.mjs': 'export default 1;\n' });
    const devsup = project.run([project.entry]);
    await devsup.ready();
    const [first] = await project.waitFor('start');
    process.kill(devsup.pid, 'SIGSTOP');
    try {
      process.kill(first!.pid, 'SIGUSR2');
      await project.waitFor('plugin');
      await sleep(50); // well past the few ms the file's ctime (the kernel's coarse clock) can lag
      files(project, { 'plugin.mjs': 'export default 2;\n' });
      await sleep(50);
    } finally {
      process.kill(devsup.pid, 'SIGCONT');
    }
    await devsup.waitForLine(/restart #1: change in plugin\.mjs ·/);
    await project.waitFor('start', 2);
  });

  it('a module the app writes and then imports at each start is not a reason to restart it again', async () => {
    const project = new Project('module-graph.ts');
    const devsup = project.run([project.entry, '--events', project.lifecycleFile], { env: { GENERATE: 'generated.mjs' } });
    await devsup.ready();
    await project.waitFor('start');
    project.setVersion(2);
    await devsup.waitForLine(/restart #1: change in version\.mjs ·/);
    await project.waitFor('start', 2);
    expect(starts(project)).toBe(2);
    expect(devsup.count(/restart #2/)).toBe(0);
    // devsup may see the second start's write of the module before the app is ready, after, or not at all (when the
    // app's report of it comes first): no signal of its own is certain. So a sentinel: a restart for the module
    // would come before the sentinel's, or be named in its trigger.
    await restartSentinel(project, devsup, 2);
    expect(starts(project)).toBe(3);
    expect(devsup.count(/restart #2: change in \.env · /)).toBe(1);
    expect(devsup.matching(/→ restarting$/)).toEqual(['[devsup] change in version.mjs → restarting', '[devsup] change in .env → restarting']);
    expect(project.lifecycle('stop-requested')).toHaveLength(2);
  });

  it('--watch-all watches the whole project, minus .gitignore, --ignore and node_modules', async () => {
    const project = new Project('module-graph.ts');
    files(project, {
      '.gitignore': 'data/\n',
      'data/cache.txt': '1\n',
      'tmp/scratch.txt': '1\n',
      'node_modules/dep/package.json': '{ "name": "dep", "exports": "./index.mjs" }\n',
      'node_modules/dep/index.mjs': 'export default 1;\n',
      'docs/notes.md': '# notes\n',
    });
    const devsup = project.run([project.entry, '--watch-all', '--ignore', 'tmp', '--events', project.lifecycleFile], { env: { IMPORTS: 'dep' } });
    await devsup.ready();
    await project.waitFor('start');
    files(project, { 'data/cache.txt': '2\n', 'tmp/scratch.txt': '2\n', 'node_modules/dep/index.mjs': 'export default 2;\n' });
    // All three folders are pruned from the walk, so these edits are never seen: the docs edit is the sentinel. Had
    // one been taken for a change, it would be a restart of its own or named in this one's trigger.
    files(project, { 'docs/notes.md': '# edited\n' });
    await devsup.waitForLine(/restart #1: change in docs\/notes\.md ·/);
    await project.waitFor('start', 2);
    expect(starts(project)).toBe(2);
    expect(devsup.matching(/→ restarting/)).toEqual(['[devsup] change in docs/notes.md → restarting']);
    expect(project.lifecycle('settled')).toEqual([expect.objectContaining({ paths: ['docs/notes.md'] })]);
    expect(project.lifecycle('ignored')).toEqual([]);
    expect(devsup.stderr).not.toMatch(/cache\.txt|scratch\.txt|node_modules\/dep/);
  });
});

describe('bursts and loops', () => {
  it('2,000 files written in a burst are one restart, named by one file and a count', async () => {
    const project = new Project('module-graph.ts');
    mkdirSync(join(project.dir, 'generated'));
    const devsup = project.run([project.entry, '--watch', 'generated', '--events', project.lifecycleFile]);
    await devsup.ready();
    await project.waitFor('start');
    for (let i = 0; i < 2000; i++) writeFileSync(join(project.dir, 'generated', `file-${i}.json`), `{"i":${i}}\n`);
    // chokidar reports the 2,000 files over a second or more; those it reports after the new app started were
    // written before it started, so they are in it already: no second restart.
    await devsup.waitForLine(/restart #1: change in generated\/file-\d+\.json \(\+\d+ more\) ·/);
    await project.waitFor('start', 2);
    expect(starts(project)).toBe(2);
    expect(devsup.count(/→ restarting/)).toBe(1);
    // A second restart for files reported late would come before the sentinel's, or be named in its trigger.
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(starts(project)).toBe(3);
    expect(devsup.matching(/→ restarting/)).toEqual([
      expect.stringMatching(/^\[devsup\] change in generated\/file-\d+\.json( \(\+\d+ more\))? → restarting$/),
      '[devsup] change in .env → restarting',
    ]);
    expect(devsup.count(/restart #2: change in \.env · /)).toBe(1);
  });

  it('an app that keeps writing a watched file is not restarted in a loop: devsup pauses and names the file', async () => {
    const project = new Project('module-graph.ts');
    mkdirSync(join(project.dir, 'state'));
    const events = project.lifecycleFile;
    // --verbose: while restarts are paused, only the debug log says that each change was seen and skipped.
    const devsup = project.run([project.entry, '--watch', 'state', '--events', events, '--verbose'], { env: { WRITE_FILE: 'state/journal.txt', WRITE_EVERY: '50' } });
    const line = await devsup.waitForLine(/restarts paused/);
    expect(line).toBe(
      '[devsup] restarts paused: state/journal.txt changed right after each of the last 4 starts — is the app writing it? ' +
        'Add it to ignore (--ignore state/journal.txt); a change to another file, or rs, resumes',
    );
    // The app goes on writing the journal: three more writes seen, and none restarted it.
    const skipped = /^\[devsup\] change in state\/journal\.txt ignored: restarts are paused$/;
    const pausedAt = devsup.lines().indexOf(line);
    await until('three journal writes skipped while paused', () => devsup.lines().slice(pausedAt).filter((l) => skipped.test(l)).length >= 3 || undefined);
    expect(starts(project)).toBe(4);
    expect(devsup.count(/→ restarting/)).toBe(3);
    expect(project.lifecycle('stop-requested')).toHaveLength(3);
    const logged = readFileSync(events, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
    expect(logged.filter((e) => e.type === 'paused')).toEqual([expect.objectContaining({ path: 'state/journal.txt', restarts: 3 })]);
    // A person's edit elsewhere resumes restarts.
    project.setVersion(2);
    await project.waitFor('start', 5);
    expect(project.named('start').at(-1)!.version).toBe(2);
  });
});

const canUnshare = (() => {
  if (process.platform !== 'linux') return false;
  try {
    execFileSync('unshare', ['--user', '--map-root-user', 'sh', '-c', 'echo 100 > /proc/sys/user/max_inotify_watches'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('watcher errors', () => {
  // A user namespace has its own inotify limit: 20 watches run out in this project without touching the machine's.
  it.runIf(canUnshare)('a watch limit that runs out is one line with the sysctl hint, and devsup keeps running', async () => {
    const project = new Project('module-graph.ts');
    for (let i = 0; i < 40; i++) files(project, { [`src/dir-${i}/a.txt`]: `${i}\n` });
    const limit = 'echo 20 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"';
    const devsup = project.run([project.entry, '--watch-all'], { prefix: ['unshare', '--user', '--map-root-user', 'sh', '-c', limit] });
    await devsup.waitForLine(/watcher: .*ENOSPC.* \(the inotify watch limit is reached: raise it with sudo sysctl fs\.inotify\.max_user_watches=524288, ignore large folders, or use --poll\)/);
    await project.waitFor('start');
    devsup.process.stdin!.write('rs\n');
    await project.waitFor('start', 2);
    await devsup.waitForLine(/restart #1: restart requested ·/);
    expect(devsup.count(/ENOSPC/)).toBe(1);
  });

  // Where file events cannot be had at all (here: not one inotify watch allowed; elsewhere a network drive or a
  // container mount), an edit goes unseen — and --poll sees it.
  it.runIf(canUnshare)('--poll sees an edit where no file event can be had', async () => {
    const noWatch = ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"'];
    const blind = new Project('module-graph.ts');
    const unseen = blind.run([blind.entry, '--verbose'], { prefix: noWatch });
    await unseen.waitForLine(/ENOSPC.*or use --poll/);
    await blind.waitFor('start');
    await unseen.waitForLine(/watching \d+ more files? the app loaded/); // devsup has learnt of them (debug, at ready)
    await sleep(300); // past the one look devsup takes at each loaded file, 60 ms after it learns of it
    blind.setVersion(2);
    expect(starts(blind)).toBe(1);
    // No file event can come, so `rs` is the sentinel: had the edit been seen, it would be a restart of its own
    // before this one, or named in its trigger.
    unseen.process.stdin!.write('rs\n');
    await unseen.waitForLine(/restart #1: /);
    expect(unseen.matching(/→ restarting/)).toEqual(['[devsup] restart requested → restarting']);
    expect(unseen.count(/restart #1: restart requested · /)).toBe(1);
    expect(starts(blind)).toBe(2);

    const project = new Project('module-graph.ts');
    const devsup = project.run([project.entry, '--poll', '100'], { prefix: noWatch });
    await devsup.ready();
    await project.waitFor('start');
    project.setVersion(2);
    await devsup.waitForLine(/restart #1: change in version\.mjs ·/);
    const [, second] = await project.waitFor('start', 2);
    expect(second!.version).toBe(2);
    expect(devsup.stderr).not.toMatch(/ENOSPC/);
  });
});
