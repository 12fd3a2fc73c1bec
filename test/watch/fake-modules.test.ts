// 400,000 fake module reports (issue 16): the files watched per run are bounded, with one line; devsup stays small
// and a restart is as quick as ever.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Project, sleep } from '../helpers/harness.js';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('fake module reports', () => {
  it("400,000 of them: one line at the bound, RSS under 256 MB, the next restart within 1.5 s", async () => {
    const project = new Project('fakes-modules.mjs');
    const devsup = project.run([project.entry]);
    await devsup.ready();
    await project.waitFor('flooded', 1, 30_000);
    await devsup.waitForLine(/the app reported more than 10000 modules: the rest are not watched this run/);
    await sleep(500);
    // Before the bound: 293 MB on Node 20 for these 400,000 (and growing with more). Node 24 sits ~20 MB above Node 20.
    expect(rssMb(devsup.pid)).toBeLessThan(256);
    const asked = Date.now();
    project.setVersion(2);
    await project.waitFor('start', 2, 15_000);
    expect(Date.now() - asked).toBeLessThan(1500);
    expect(devsup.count(/reported more than 10000 modules/)).toBe(1);
  });
});
