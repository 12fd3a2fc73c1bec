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

// Node reports each module the app loads on the IPC channel; once devsup is gone that channel is closed, and a report
// on it was an uncaught ERR_IPC_CHANNEL_CLOSED: the app died in its cleanup (Node 20: a module not loaded before;
// Node 24: any import(), devsup/child's own of liveness.js on disconnect too, before any cleanup ran).
describe('devsup killed with SIGKILL while the app runs', () => {
  it('a cleanup that imports a module not loaded before completes, and the app exits within its stop timeout', async () => {
    const project = new Project('imports-in-cleanup.ts', undefined, ['late-module.mjs']);
    const devsup = project.run([project.entry, '--stop-timeout', '3000']);
    await devsup.waitForLine(/ready in \d+ ms/);
    const [app] = await project.waitFor('start');
    devsup.process.kill('SIGKILL');
    await devsup.exited;
    const killedAt = Date.now();
    await until('the orphaned app to exit', () => !isAlive(app!.pid), 3000 + 5000);
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect(project.events().map((e) => [e.event, e.pid])).toEqual(['start', 'cleanup-started', 'cleanup-done', 'exit'].map((event) => [event, app!.pid]));
    expect(project.named('cleanup-done')[0]).toMatchObject({ loaded: 'late' });
    expect(project.named('exit')[0]).toMatchObject({ code: 0 });
  });
});
