// Symlinked folders that loop back into what is watched (issue 16 item 8): devsup's memory stays bounded and an
// edit is still seen. And a walk far larger than a dev server's stops at a bound, with one line.
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, Project, sleep } from '../helpers/harness.js';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function loops(project: Project): void {
  mkdirSync(join(project.dir, 'src/d0'), { recursive: true });
  writeFileSync(join(project.dir, 'src/util.mjs'), 'export default 1;\n');
  symlinkSync('.', join(project.dir, 'src/loop'));
  symlinkSync(join(project.dir, 'src'), join(project.dir, 'src/d0/up'));
}

describe('symlink loops', () => {
  it.each([
    ['--watch-all', (entry: string) => [entry, '--watch-all']],
    ['exec (the whole project by default)', (entry: string) => ['exec', '--', process.execPath, entry]],
  ])('%s: src/loop -> . and src/d0/up -> <abs>/src: RSS stays under 200 MB, an edit is still seen', async (_name, args) => {
    const project = new Project('plain-sigterm.mjs');
    loops(project);
    const argv = args(project.entry);
    const env = { PORT: String(await freePort()) };
    const devsup = argv[0] === 'exec' ? project.run([], { env, args: argv }) : project.run(argv, { env });
    await devsup.ready();
    await sleep(5000);
    const rss = rssMb(devsup.pid);
    expect(rss).toBeLessThan(200);
    writeFileSync(join(project.dir, 'src/util.mjs'), 'export default 2;\n');
    await devsup.waitForLine(/restart #1: change in src\/util\.mjs/, 1, 15_000);
    expect(devsup.process.exitCode).toBe(null);
  });

  it('a link to a folder outside the project is followed, once', async () => {
    const project = new Project('plain-sigterm.mjs');
    const shared = `${project.dir}.shared`;
    mkdirSync(shared);
    writeFileSync(join(shared, 'lib.mjs'), 'export default 1;\n');
    symlinkSync(shared, join(project.dir, 'shared'));
    symlinkSync(shared, join(project.dir, 'shared-again'));
    const devsup = project.run([project.entry, '--watch-all'], { env: { PORT: String(await freePort()) } });
    await devsup.ready();
    writeFileSync(join(shared, 'lib.mjs'), 'export default 2;\n');
    await devsup.waitForLine(/restart #1: change in shared\/lib\.mjs/);
  });

  it('past the bound of watched paths, one line says so and devsup keeps running', async () => {
    const project = new Project('plain-sigterm.mjs');
    mkdirSync(join(project.dir, 'many'));
    for (let i = 0; i < 200; i++) writeFileSync(join(project.dir, 'many', `f${i}.txt`), '');
    const devsup = project.run([project.entry, '--watch-all'], { env: { PORT: String(await freePort()), DEVSUP_MAX_WATCHED: '50' } });
    await devsup.ready();
    await devsup.waitForLine(/50 paths watched, the most devsup watches; nothing more under .* is \(narrow watch, or add to ignore\)/);
    await sleep(500);
    expect(devsup.count(/paths watched, the most/)).toBe(1);
    expect(devsup.process.exitCode).toBe(null);
  });
});
