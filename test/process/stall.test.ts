// devsup stopped (SIGSTOP) and continued while an app finishes its cleanup: what devsup says comes from what the app
// reported, not from the time that passed alone.
import { describe, expect, it } from 'vitest';
import { Project, sleep } from '../helpers/harness.js';

describe('after SIGSTOP and SIGCONT of devsup', () => {
  it('does not blame a cleanup that had already finished', async () => {
    const project = new Project('finishes-slow-cleanup.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '1000', '--kill-grace', '500'], { env: { CLEANUP_MS: '300' } });
    await project.waitFor('start');
    await devsup.waitForLine(/ready in/);

    project.setVersion(2);
    await project.waitFor('cleanup-start');
    devsup.process.kill('SIGSTOP');
    try {
      await project.waitFor('exit'); // the app finished its cleanup, reported it, and exited meanwhile
      await sleep(3000); // past the stop timeout
    } finally {
      devsup.process.kill('SIGCONT');
    }
    await project.waitFor('start', 2, 15_000);
    await devsup.waitForLine(/restart #1/);
    expect(devsup.stderr).not.toMatch(/cleanup "slow" still running/);
    // If devsup read the timer before the app's exit, what it says comes from the app's last report.
    for (const line of devsup.lines().filter((l) => /stop timeout/.test(l))) expect(line).toMatch(/it last reported: shutdown done/);
  });
});
