// An app that never calls ready() still gets a ready line on its first start, as its restarts get one (issue 14).
import { describe, expect, it } from 'vitest';
import { freePort, Project } from '../helpers/harness.js';

describe('ready line without ready()', () => {
  it('says the first start counted as ready after readyTimeout, then each restart as before', async () => {
    const project = new Project('plain-sigterm.mjs');
    const devsup = project.run([project.entry, '--ready-timeout', '300'], { env: { PORT: String(await freePort()) } });
    const line = await devsup.waitForLine(/^\[devsup\] ready /);
    const ms = Number(/^\[devsup\] ready \(no ready\(\) call; counted after (\d+) ms\)$/.exec(line)?.[1]);
    expect(ms, line).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(5000);
    project.setVersion(2);
    await devsup.waitForLine(/restart #1: change in version\.mjs · teardown \d+ ms · started \(no ready\(\) call\)/);
    expect(devsup.count(/^\[devsup\] ready /)).toBe(1);
    devsup.process.kill('SIGTERM');
    await devsup.exited;
  });
});
