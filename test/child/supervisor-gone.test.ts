// devsup/child when devsup dies mid-teardown: once the channel closes, the app is gone within what is left of its
// deadline, wherever its shutdown was (issue 16, item 2).
import { describe, expect, it } from 'vitest';
import { isAlive, Project, until } from '../helpers/harness.js';

describe('devsup killed with SIGKILL while a cleanup hangs', () => {
  it('the app exits when what is left of the deadline devsup gave it runs out', async () => {
    const project = new Project('hangs-in-cleanup.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '3000']);
    await devsup.ready();
    const [app] = await project.waitFor('start');
    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    // The shutdown is under way: "last" ran, "middle" never settles.
    const [, middle] = await until('the hanging cleanup to start', () => {
      const cleanups = project.named('cleanup').filter((e) => e.pid === app!.pid);
      return cleanups.length === 2 ? cleanups : undefined;
    });
    expect(middle!.name).toBe('middle');
    devsup.process.kill('SIGKILL');
    await devsup.exited;
    const killedAt = Date.now();
    await until('the orphaned app to exit', () => !isAlive(app!.pid), 3000 + 5000);
    const goneAt = Date.now();
    expect(goneAt - killedAt).toBeLessThan(3000 + 2000);
    // Not at once: the cleanups had the rest of their deadline (counted from the shutdown message, just before "last").
    const last = project.named('cleanup').find((e) => e.pid === app!.pid && e.name === 'last')!;
    expect(goneAt).toBeGreaterThanOrEqual(last.t + 3000 - 250);
    expect(project.named('cleanup').filter((e) => e.pid === app!.pid).map((e) => e.name)).toEqual(['last', 'middle']);
  });
});
