// How editors and tools save, each one restart: an atomic save (write a temp file, rename it over), a
// backup-then-write save (vim's default), a second write inside chokidar's 50 ms window, and `tsc -w` rewriting 30
// output files over 200 ms. The next app starts as soon as the old one is gone and the files are quiet — never from a
// half-written save.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, Project, restartSentinel, sleep, until } from '../helpers/harness.js';

const versions = (project: Project) => project.named('start').map((e) => e.version);

async function started(fixture: string) {
  const project = new Project(fixture);
  const devsup = project.run([project.entry, '--events', project.lifecycleFile], { env: { CLEANUP_MS: '0', PORT: String(await freePort()) } });
  await devsup.ready();
  await project.waitFor('ready');
  return { project, devsup };
}

describe('saves that are more than one write', () => {
  it('an atomic save (a temp file renamed over the module) is one restart', async () => {
    const { project, devsup } = await started('slow-cleanup.ts');
    writeFileSync(join(project.dir, 'version.mjs.tmp'), 'export default 2;\n');
    renameSync(join(project.dir, 'version.mjs.tmp'), join(project.dir, 'version.mjs'));
    await until('version 2', () => project.named('ready').some((e) => e.version === 2));
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(versions(project)).toEqual([1, 2, 2]);
    expect(devsup.count(/→ restarting/)).toBe(2);
  });

  it("a backup-then-write save (vim's: the module renamed away, a new one written) is one restart", async () => {
    const { project, devsup } = await started('slow-cleanup.ts');
    renameSync(join(project.dir, 'version.mjs'), join(project.dir, 'version.mjs~'));
    writeFileSync(join(project.dir, 'version.mjs'), 'export default 2;\n');
    await until('version 2', () => project.named('ready').some((e) => e.version === 2));
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(versions(project)).toEqual([1, 2, 2]);
    expect(devsup.count(/→ restarting/)).toBe(2);
  });

  it.each([20, 35])("a second write %i ms after the first (inside chokidar's 50 ms window, which reports nothing for it) is one restart with the final version", async (gap) => {
    const { project, devsup } = await started('slow-cleanup.ts');
    project.setVersion(2);
    await sleep(gap);
    project.setVersion(3);
    await until('version 3', () => project.named('ready').some((e) => e.version === 3));
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(versions(project)).toEqual([1, 3, 3]);
    expect(devsup.count(/→ restarting/)).toBe(2);
  });

  it('`tsc -w` rewriting 30 output files over 200 ms is one restart, and the app has them all', async () => {
    const project = new Project('slow-cleanup.ts');
    const mods = Array.from({ length: 30 }, (_, i) => `out/m${i}.mjs`);
    const writeAll = async (version: number, gapMs: number) => {
      for (const mod of mods) {
        project.write(mod, `export default ${version};\n`);
        if (gapMs > 0) await sleep(gapMs);
      }
    };
    mkdirSync(join(project.dir, 'out'));
    await writeAll(1, 0);
    project.write('app.mjs', `${mods.map((m, i) => `import m${i} from './${m}';`).join('\n')}\nimport { record } from './record.mjs';\nimport { ready } from 'devsup/child';\nconst all = [${mods.map((_, i) => `m${i}`).join(', ')}];\nrecord('start', { version: all[0], same: all.every((v) => v === all[0]) });\nsetInterval(() => {}, 1000);\nready();\nrecord('ready', { version: all[0] });\n`);
    const devsup = project.run(['app.mjs', '--events', project.lifecycleFile]);
    await devsup.ready();
    await project.waitFor('ready');
    await writeAll(2, 7);
    await until('version 2 of all 30', () => project.named('start').some((e) => e.version === 2 && e.same === true));
    expect(await restartSentinel(project, devsup, 2)).toEqual(['.env']);
    expect(project.named('start').map((e) => [e.version, e.same])).toEqual([[1, true], [2, true], [2, true]]);
    expect(devsup.count(/→ restarting/)).toBe(2);
  });
});
