// A build step that writes what devsup watches (its output, the entry, not ignored): every build would see a change
// and build again, forever. devsup builds at most a few times for one start, says what kept changing and what to
// ignore, and starts the latest build (issue 14's review).
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Project, restartSentinel, until } from '../helpers/harness.js';
import { MAX_REBUILDS } from '../../src/core/machine.js';

const app = (says: string) => `console.log('${says}');\nsetInterval(() => {}, 1000);\n`;

/**
 * A project whose build step copies src/main.mjs to its entry, dist/main.mjs, and counts its runs. It rewrites its
 * output only when there is none yet, or once the file `loop` exists (the test says when).
 */
function buildProject(config: string) {
  const project = new Project('env-echo.mjs');
  project.write('src/main.mjs', app('app up'));
  project.write('build.mjs', [
    "import { appendFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';",
    "appendFileSync(process.env.BUILDS, 'build\\n');",
    "mkdirSync('dist', { recursive: true });",
    "if (existsSync('loop') || !existsSync('dist/main.mjs')) cpSync('src/main.mjs', 'dist/main.mjs');",
    '',
  ].join('\n'));
  project.write('supervisor.config.mjs', `export default ${config};\n`);
  const builds = `${project.dir}.builds`;
  appendFileSync(builds, '');
  onTestFinished(() => rmSync(builds, { force: true }));
  return {
    project,
    builds: () => readFileSync(builds, 'utf8').split('\n').filter(Boolean).length,
    run: () => project.run([], { env: { BUILDS: builds } }),
  };
}

describe('a build step that writes what is watched', () => {
  it('is run a bounded number of times for one start (past it, one line names what kept changing); the latest build starts', async () => {
    const { project, builds, run } = buildProject("{ entry: 'dist/main.mjs', build: 'node build.mjs', watch: ['src'] }");
    // The output is there from an earlier run, so that the first start is one build that writes nothing (else its
    // write may be seen just after it, a restart).
    project.write('dist/main.mjs', app('app up'));
    const devsup = run();
    // Once the first app is up (and the watcher with it), an edit of the source.
    await devsup.waitForLine(/^\[devsup\] ready/);
    expect(devsup.matching(/restart #/)).toEqual([]);
    const before = builds();
    project.write('loop', '');
    project.write('src/main.mjs', app('app up again'));
    await devsup.waitForLine(/^\[devsup\] restart #1: /, 1, 30_000);
    await until('the new version to run', () => devsup.stdout.includes('app up again'));
    // The positive signal that the builds stopped: the next restart happens, and is summed up.
    await restartSentinel(project, devsup, 2);
    const count = builds() - before;
    // Each of the two restarts built at most 1 + MAX_REBUILDS times; each that reached the bound said so, once.
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(2 * (MAX_REBUILDS + 1));
    const said = devsup.matching(/files changed during each of \d+ builds in a row/);
    expect(said.length).toBeLessThanOrEqual(2);
    for (const line of said) {
      expect(line).toMatch(new RegExp(`^\\[devsup\\] files changed during each of ${MAX_REBUILDS + 1} builds in a row \\(.*dist/main\\.mjs.*\\): does the build step write them\\? Add them to ignore(: \\['dist'\\])? — starting with the latest build$`));
    }
    devsup.process.kill('SIGTERM');
    await devsup.exited;
  });

  it('with the output ignored (ignore: [\'dist\']), one build per start', async () => {
    const { project, builds, run } = buildProject("{ entry: 'dist/main.mjs', build: 'node build.mjs', watch: ['src'], ignore: ['dist'] }");
    const devsup = run();
    await devsup.waitForLine(/^\[devsup\] ready/);
    project.write('loop', ''); // every build rewrites its output from now on
    project.write('src/main.mjs', app('app up again'));
    await devsup.waitForLine(/^\[devsup\] restart #1: change in src\/main\.mjs · /);
    expect(builds()).toBe(2);
    expect(devsup.matching(/builds in a row/)).toEqual([]);
    devsup.process.kill('SIGTERM');
    await devsup.exited;
  });
});
