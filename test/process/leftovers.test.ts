// What escapes the tree is still reaped (issue 16, item 5): a helper that a cleanup puts in its own session after the
// cleanup is over, and a process that re-forks itself every 30 ms. After the restart and after Ctrl-C, no process
// carrying the run's DEVSUP_RUN is left, and the log says what was killed.
import { describe, expect, it } from 'vitest';
import { Project, until } from '../helpers/harness.js';
import { marker, ofRun } from './procs.js';


// The fixture, the files it needs, and how many processes of a run are up once it runs (app, helpers).
const cases: [string, string, string[], number][] = [
  ['a cleanup that starts `setsid sleep 300` after it is over', 'setsid-in-cleanup.ts', [], 1],
  ['a process that re-forks itself every 30 ms', 'reforks.ts', ['reforks.sh'], 3],
];

describe('leftovers that leave the tree', () => {
  it.each(cases)('%s: none survives the restart, nor devsup\'s exit', async (_name, fixture, more, up) => {
    const project = new Project(fixture, undefined, more);
    const devsup = project.run([project.entry, '--stop-timeout', '1000', '--kill-grace', '500'], { env: marker(), detached: true });
    const [first] = await project.waitFor('start');
    await devsup.waitForLine(/ready in/);

    project.setVersion(2);
    const [, second] = await project.waitFor('start', 2, 15_000);
    // The next app starts only once the old run's processes are gone: what is left now is a zombie at most.
    await until('no process of the first run', () => ofRun(first!.run as string).length === 0 || undefined, 3000);
    await devsup.waitForLine(/killed \d+ leftover process(es)? of the old app/);
    await devsup.waitForLine(/restart #1/);
    // What the second run leaves must be there to be left: the re-forker running (a generation after the first).
    await until('the second run up', () => ofRun(second!.run as string).length >= up || undefined, 5000);

    process.kill(-devsup.pid, 'SIGINT'); // Ctrl-C: to the whole group, as a terminal sends it
    await devsup.exited;
    await until('no process of the second run', () => ofRun(second!.run as string).length === 0 || undefined, 3000);
    expect(devsup.count(/killed \d+ leftover process(es)? of the old app/)).toBe(2);
    expect(devsup.stderr).not.toMatch(/survived SIGKILL/);
  });
});
