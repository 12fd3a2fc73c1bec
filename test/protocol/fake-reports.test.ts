// An app that lies in its reports (issue 16): the numbers devsup prints stay bounded.
import { describe, expect, it } from 'vitest';
import { Project } from '../helpers/harness.js';

describe('fake reports', () => {
  it('a shutdown-done with 1e308 ms and 1e308 "__proto__"s prints bounded numbers', async () => {
    const project = new Project('fakes-report.mjs');
    const devsup = project.run([project.entry, '--verbose']);
    await devsup.ready();
    project.setVersion(2);
    await project.waitFor('lying');
    const open = await devsup.waitForLine(/teardown left open/);
    expect(open).toMatch(/teardown left open: 1000000 __proto__s, 1000000 timers/);
    const cleanups = await devsup.waitForLine(/cleanups: db/);
    expect(cleanups).toMatch(/cleanups: db (2147483647 ms|\d+\.\d s)/);
    expect(devsup.stderr).not.toMatch(/e\+\d+|Infinity|9007199254740991/);
    await devsup.waitForLine(/restart #1: /);
  });
});
