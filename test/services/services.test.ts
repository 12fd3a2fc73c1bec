// Several services under one devsup, for real: three services of fixtures/svc-app.mjs — api and worker share
// shared.mjs, worker depends on api, jobs (an exec app) watches its own module. Order is asserted from the fixtures'
// own event log (appends, in the order they happened).
import { describe, expect, it } from 'vitest';
import { freePort, isAlive, kill, Project, until, type Event } from '../helpers/harness.js';

const MODULES = ['shared', 'api-private', 'worker-private', 'jobs-private'];

async function servicesProject(edit: (config: Record<string, any>) => void = () => {}) {
  const project = new Project('svc-app.mjs');
  for (const m of MODULES) project.write(`${m}.mjs`, 'export default 1;\n');
  const ports = { api: await freePort(), worker: await freePort(), jobs: await freePort() };
  const config: Record<string, any> = {
    readyTimeout: 15_000,
    services: {
      api: { entry: 'svc-app.mjs', env: { SERVICE: 'api', MODULES: 'shared,api-private', PORT: String(ports.api), CLEANUP_MS: '300' } },
      worker: {
        entry: 'svc-app.mjs',
        dependsOn: ['api'],
        env: { SERVICE: 'worker', MODULES: 'shared,worker-private', PORT: String(ports.worker), DEPENDS_PORT: String(ports.api), CLEANUP_MS: '300' },
      },
      jobs: { exec: 'node svc-app.mjs', watch: ['jobs-private.mjs'], env: { SERVICE: 'jobs', MODULES: 'jobs-private', PORT: String(ports.jobs), CLEANUP_MS: '50' } },
    },
  };
  edit(config);
  project.write('supervisor.config.mjs', `export default ${JSON.stringify(config, null, 2)};\n`);
  return { project, ports };
}

const of = (events: Event[], service: string, event?: string) => events.filter((e) => e.service === service && (event === undefined || e.event === event));
const index = (events: Event[], match: (e: Event, i: number) => boolean) => {
  const i = events.findIndex(match);
  expect(i, 'event found').toBeGreaterThanOrEqual(0);
  return i;
};
const answer = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).text();

async function allListening(project: Project, count = 3) {
  await project.waitFor('listening', count, 30_000);
}

describe('devsup run with services', () => {
  it('a shared-module edit restarts exactly the two services that load it, each once, dependents stopped first and started last', async () => {
    const { project, ports } = await servicesProject();
    const devsup = project.run([]);
    await allListening(project);
    const before = project.events();
    const [api1, worker1, jobs1] = ['api', 'worker', 'jobs'].map((s) => of(before, s, 'start')[0]!.pid);
    // The worker started once the api answered.
    expect(of(before, 'worker', 'dependency')[0]).toMatchObject({ ok: true });
    const line = await devsup.waitForLine(/services: /);
    expect(line).toContain('services: api, worker (after api), jobs');
    const mark = before.length;

    project.write('shared.mjs', 'export default 2;\n');
    const cycle = await devsup.waitForLine(/restarted api, worker \(change in shared\.mjs\)/, 1, 30_000);
    expect(cycle).toMatch(/stopped worker → api, started api → worker/);
    await allListening(project, 5);
    await new Promise((r) => setTimeout(r, 500)); // a second restart, if one came, would show by now
    const events = project.events();
    const after = events.slice(mark);
    expect(of(after, 'api', 'start')).toHaveLength(1);
    expect(of(after, 'worker', 'start')).toHaveLength(1);
    expect(of(after, 'jobs', 'start')).toHaveLength(0);
    // Stops: the worker's cleanups finished, and the worker exited, before the api was asked to stop.
    const workerGone = index(events, (e) => e.pid === worker1 && e.event === 'exit');
    const apiAsked = index(events, (e) => e.pid === api1 && e.event === 'message' && e.type === 'shutdown');
    expect(index(events, (e) => e.pid === worker1 && e.event === 'cleanup-end')).toBeLessThan(workerGone);
    expect(workerGone).toBeLessThan(apiAsked);
    // Starts: the new api listened before the new worker started, and the worker reached it.
    const apiListening = index(events, (e, i) => i >= mark && e.service === 'api' && e.event === 'listening');
    const workerStart = index(events, (e, i) => i >= mark && e.service === 'worker' && e.event === 'start');
    expect(apiListening).toBeLessThan(workerStart);
    expect(of(after, 'worker', 'dependency')[0]).toMatchObject({ ok: true });
    expect(of(after, 'api', 'start')[0]!.versions).toEqual({ shared: 2, 'api-private': 1 });
    expect(await answer(ports.jobs)).toContain('jobs');
    expect(isAlive(jobs1!)).toBe(true);
    // Each line of each app is prefixed with its name (no colour: piped).
    expect(devsup.stdout).toMatch(/^api {4}\| api listening$/m);
    expect(devsup.stdout).toMatch(/^worker \| worker listening$/m);
    expect(devsup.stdout).toMatch(/^jobs {3}\| jobs listening$/m);
    expect(devsup.stderr).toMatch(/\[devsup\] worker: restart #1: restart of api, worker|\[devsup\] worker: restart #1: change in shared\.mjs/);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it('a private-module edit restarts only its service; --events lines carry the service', async () => {
    const { project } = await servicesProject();
    const devsup = project.run(['--events', project.lifecycleFile]);
    await allListening(project);
    const mark = project.events().length;
    project.write('worker-private.mjs', 'export default 2;\n');
    await devsup.waitForLine(/restarted worker \(change in worker-private\.mjs\): stopped worker, started worker/, 1, 30_000);
    await project.waitFor('listening', 4);
    project.write('jobs-private.mjs', 'export default 2;\n');
    await devsup.waitForLine(/restarted jobs \(change in jobs-private\.mjs\)/, 1, 30_000);
    await project.waitFor('listening', 5);
    const after = project.events().slice(mark);
    expect(after.filter((e) => e.event === 'start').map((e) => e.service)).toEqual(['worker', 'jobs']);
    const ready = project.lifecycle('ready');
    expect(new Set(ready.map((e) => e.service))).toEqual(new Set(['api', 'worker', 'jobs']));
    expect(project.lifecycle('stop-requested').map((e) => e.service)).toEqual(['worker', 'jobs']);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it("a terminal's Ctrl-C (SIGINT to the whole group) runs every cleanup in reverse dependency order, leaves no process, exits 0", async () => {
    const { project } = await servicesProject();
    const devsup = project.run([], { detached: true });
    await allListening(project);
    const pids = project.named('start').map((e) => e.pid);
    process.kill(-devsup.pid, 'SIGINT'); // as a terminal does: devsup and every app get it at once
    expect((await devsup.exited).code).toBe(0);
    const events = project.events();
    for (const service of ['api', 'worker', 'jobs']) expect(of(events, service, 'cleanup-end'), service).toHaveLength(1);
    const workerGone = index(events, (e) => e.service === 'worker' && e.event === 'exit');
    const apiAsked = index(events, (e) => e.service === 'api' && e.event === 'message' && e.type === 'shutdown');
    expect(workerGone).toBeLessThan(apiAsked);
    await until('every app gone', () => pids.every((pid) => !isAlive(pid)), 5000);
  });

  it('a restart of the api restarts its dependent too, in order; restartDependents: false turns that off', async () => {
    const { project } = await servicesProject();
    const devsup = project.run([]);
    await allListening(project);
    project.write('api-private.mjs', 'export default 2;\n');
    await devsup.waitForLine(/restarted api, worker \(change in api-private\.mjs\): stopped worker → api, started api → worker/, 1, 30_000);
    expect(devsup.stderr).toMatch(/\[devsup\] worker: restart #1: restart of api · /);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);

    const off = await servicesProject((c) => (c.services.api.restartDependents = false));
    const again = off.project.run([]);
    await allListening(off.project);
    off.project.write('api-private.mjs', 'export default 2;\n');
    await again.waitForLine(/restarted api \(change in api-private\.mjs\): stopped api, started api/, 1, 30_000);
    await off.project.waitFor('listening', 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(off.project.named('start').filter((e) => e.service === 'worker')).toHaveLength(1);
    kill(again.pid, 'SIGINT');
    expect((await again.exited).code).toBe(0);
  });

  it("a Python service the api depends on: the terminal's Ctrl-C stops the api first, then it", async () => {
    const project = new Project('svc-app.mjs', undefined, ['svc-jobs.py', 'record.py']);
    for (const m of MODULES) project.write(`${m}.mjs`, 'export default 1;\n');
    const api = { entry: 'svc-app.mjs', dependsOn: ['jobs'], env: { SERVICE: 'api', MODULES: 'shared', PORT: String(await freePort()), CLEANUP_MS: '200' } };
    const config = { readyTimeout: 15_000, services: { api, jobs: { entry: 'svc-jobs.py' } } };
    project.write('supervisor.config.mjs', `export default ${JSON.stringify(config)};\n`);
    const devsup = project.run([], { detached: true });
    await allListening(project, 2);
    process.kill(-devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
    const events = project.events();
    const apiGone = index(events, (e) => e.service === 'api' && e.event === 'exit');
    const jobsCleanup = index(events, (e) => e.service === 'jobs' && e.event === 'cleanup-start');
    expect(apiGone).toBeLessThan(jobsCleanup);
    expect(of(events, 'jobs', 'cleanup-end')).toHaveLength(1);
  });

  it('exits with the first non-zero code: a cleanup that fails', async () => {
    const { project } = await servicesProject((c) => (c.services.worker.env.CLEANUP_FAIL = '1'));
    const devsup = project.run([]);
    await allListening(project);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(1);
    expect(of(project.events(), 'api', 'cleanup-end')).toHaveLength(1);
  });

  it('a crashing service leaves the others serving', async () => {
    const { project, ports } = await servicesProject();
    const devsup = project.run([]);
    await allListening(project);
    const starts = project.named('start').length;
    project.write('jobs-private.mjs', 'export default "crash";\n');
    await devsup.waitForLine(/jobs +: app crashed while starting \(exit 3\)/, 1, 30_000);
    expect(await answer(ports.api)).toContain('api');
    expect(await answer(ports.worker)).toContain('worker');
    expect(project.named('start').length).toBe(starts + 1); // only the jobs' new start
    // Fixed: it comes back, the others untouched.
    project.write('jobs-private.mjs', 'export default 3;\n');
    await project.waitFor('listening', 4, 30_000);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it('a dependency that crashes on its start leaves its dependent waiting, not the next cycle: fixed, both start, in order', async () => {
    const { project, ports } = await servicesProject();
    const devsup = project.run([]);
    await allListening(project);
    project.write('api-private.mjs', 'export default "crash";\n');
    await devsup.waitForLine(/restarted api, worker \(change in api-private\.mjs\): stopped worker → api, started none · \d+ ms · not ready: api, worker \(waits for api\)/, 1, 30_000);
    expect(await answer(ports.jobs)).toContain('jobs');
    const mark = project.events().length;
    project.write('api-private.mjs', 'export default 4;\n');
    await devsup.waitForLine(/restarted api, worker \(change in api-private\.mjs\): stopped worker → api, started api → worker/, 1, 30_000);
    const after = project.events().slice(mark);
    expect(after.filter((e) => e.event === 'start').map((e) => e.service)).toEqual(['api', 'worker']);
    expect(of(after, 'worker', 'dependency')[0]).toMatchObject({ ok: true });
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it('--log-format json: each line of a service has its service field', async () => {
    const { project } = await servicesProject();
    const devsup = project.run(['--log-format', 'json', '--only', 'api']);
    await allListening(project, 1);
    await devsup.waitForLine(/"ready in/);
    const records = devsup.lines().map((l) => JSON.parse(l) as { service?: string; msg: string });
    expect(records.find((r) => r.msg.startsWith('ready in'))).toMatchObject({ service: 'api' });
    expect(records[0]!.msg).toBe('services: api');
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it('--only worker runs it and what it depends on', async () => {
    const { project } = await servicesProject();
    const devsup = project.run(['--only', 'worker']);
    await allListening(project, 2);
    await devsup.waitForLine(/services: api, worker \(after api\)$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(project.named('start').map((e) => e.service)).toEqual(['api', 'worker']);
    kill(devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);
  });

  it.each([
    ['a dependency cycle', (c: Record<string, any>) => (c.services.api.dependsOn = ['worker']), /^\[devsup\] error: supervisor\.config\.mjs: services: dependency cycle: api → worker → api \(remove one of these dependsOn\)$/, []],
    ['an unknown name', (c: Record<string, any>) => (c.services.worker.dependsOn = ['apii']), /^\[devsup\] error: supervisor\.config\.mjs: services: worker\.dependsOn names an unknown service "apii" \(did you mean "api"\?\)$/, []],
    ['an unknown --only', () => {}, /^\[devsup\] error: --only: unknown service "wroker" \(did you mean "worker"\?\)$/, ['--only', 'wroker']],
  ])('%s is a one-line config error, exit 2', async (_name, edit, line, args) => {
    const { project } = await servicesProject(edit);
    const devsup = project.run(args);
    expect((await devsup.exited).code).toBe(2);
    expect(devsup.stderr.trim().split('\n')).toHaveLength(1);
    expect(devsup.stderr.trim()).toMatch(line);
    expect(project.named('start')).toHaveLength(0);
  });
});
