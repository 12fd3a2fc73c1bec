// The embedding API, as a framework's dev command uses it: createSupervisor with watch: false (restart(), notify()),
// stdio 'pipe', a build step; createServices with typed events. In this process: no exit, no signal handlers.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger, createServices, createSupervisor, type Config } from '../../src/index.js';
import { freePort, Project, sleep, until } from '../helpers/harness.js';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ format: 'human', level, stream }) };
}

function project() {
  const p = new Project('svc-app.mjs');
  for (const m of ['shared', 'api-private', 'worker-private']) p.write(`${m}.mjs`, 'export default 1;\n');
  return p;
}

async function api(p: Project, config: Config = {}) {
  const { lines, logger } = capture(config.logLevel === 'debug' ? 'debug' : 'info');
  const env = { EVENTS: p.eventsFile, SERVICE: 'api', MODULES: 'shared,api-private', PORT: String(await freePort()), CLEANUP_MS: '50' };
  const supervisor = createSupervisor({ entry: join(p.dir, 'svc-app.mjs'), cwd: p.dir, env, readyTimeout: 15_000, ...config }, { logger });
  onTestFinished(async () => {
    await supervisor.close({ force: true });
  });
  return { supervisor, lines };
}

describe('createSupervisor for a framework', () => {
  it("watch: false runs no watcher; notify(paths) lets the module graph decide; restart({ reason, paths }); stdio 'pipe' hands over the output", async () => {
    const p = project();
    // (No standby: vitest runs src/, where the standby's runner, dist's child/standby.js, is not.)
    const { supervisor, lines } = await api(p, { watch: false, stdio: 'pipe', standby: false });
    let out = '';
    supervisor.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await supervisor.start();
    await until('the app’s stdout', () => out.includes('api listening'));
    expect(lines.some((l) => /^\[devsup\] watching/.test(l))).toBe(false);

    // No watcher: an edit restarts nothing by itself.
    p.write('shared.mjs', 'export default 2;\n');
    await sleep(400);
    expect(p.named('start')).toHaveLength(1);
    // A file the app never loaded concerns it not; the one it loaded (and that changed since) does.
    expect(await supervisor.notify([join(p.dir, 'worker-private.mjs')])).toBe(false);
    expect(await supervisor.notify(['shared.mjs'])).toBe(true);
    expect(p.named('start')).toHaveLength(2);
    expect(p.named('start')[1]!.versions).toEqual({ shared: 2, 'api-private': 1 });
    expect(lines).toContainEqual(expect.stringMatching(/restart #1: change in shared\.mjs · teardown \d+ ms · ready in/));
    // The running app has that version now: nothing to do.
    expect(await supervisor.notify(['shared.mjs'])).toBe(false);

    await supervisor.restart({ reason: 'routes changed' });
    expect(lines).toContainEqual(expect.stringMatching(/restart #2: routes changed · /));
    const told: string[][] = [];
    supervisor.on('restarting', (e) => told.push(e.trigger.paths));
    await supervisor.restart({ paths: [join(p.dir, 'api-private.mjs')] });
    expect(told).toEqual([['api-private.mjs']]);
    await until('three listening lines on the stream', () => out.split('api listening').length - 1 === 4);
    expect(await supervisor.close()).toBe(0);
  });

  it('a build step runs before each start, after the old tree is gone; a failed build starts nothing, shows its output, and the next change tries again', async () => {
    const p = project();
    p.write('build.mjs', [
      "import { readFileSync } from 'node:fs';",
      "import { record } from './record.mjs';",
      "const state = readFileSync('build-state.txt', 'utf8').trim();",
      "record('build', { state });",
      "if (state === 'broken') { console.error('src/routes.ts(3,7): error TS2322: BROKEN BUILD'); process.exit(2); }",
      '',
    ].join('\n'));
    p.write('build-state.txt', 'ok\n');
    const { supervisor, lines } = await api(p, { build: 'node build.mjs' });
    const failures: { code: number | null; output: string }[] = [];
    supervisor.on('buildFailed', (e) => failures.push({ code: e.exit.code, output: e.output }));
    await supervisor.start();
    expect(p.events().map((e) => e.event).slice(0, 2)).toEqual(['build', 'start']);
    const first = p.named('start')[0]!.pid;

    p.write('build-state.txt', 'broken\n');
    p.write('shared.mjs', 'export default 2;\n');
    await until('the failed build', () => failures.length === 1);
    expect(failures[0]!.code).toBe(2);
    expect(failures[0]!.output).toContain('BROKEN BUILD');
    expect(lines.join('\n')).toContain('src/routes.ts(3,7): error TS2322: BROKEN BUILD');
    expect(lines).toContainEqual(expect.stringMatching(/no app started: the build step failed \(exit 2\) — waiting for a change/));
    // The old app was gone before the build ran; no app since.
    const events = p.events();
    const exit = events.findIndex((e) => e.pid === first && e.event === 'exit');
    const build = events.findIndex((e, i) => i > 1 && e.event === 'build');
    expect(exit).toBeGreaterThanOrEqual(0);
    expect(exit).toBeLessThan(build);
    await sleep(300);
    expect(p.named('start')).toHaveLength(1);
    expect(supervisor.state.kind).toBe('waiting');

    p.write('build-state.txt', 'ok\n');
    p.write('shared.mjs', 'export default 3;\n');
    await p.waitFor('start', 2);
    expect(p.named('start')[1]!.versions).toEqual({ shared: 3, 'api-private': 1 });
    expect(p.named('build').map((e) => e.state)).toEqual(['ok', 'broken', 'ok']);
    await until('running', () => supervisor.state.kind === 'running');
  });

  it('a build function: a throw is a failed build', async () => {
    const p = project();
    let fail = true;
    let builds = 0;
    const { supervisor, lines } = await api(p, {
      watch: false,
      build: async () => {
        builds += 1;
        await sleep(20);
        if (fail) throw new Error('bundle failed: cannot resolve ./missing');
      },
    });
    await expect(supervisor.start()).rejects.toThrow(/the build step failed/);
    expect(lines.join('\n')).toContain('bundle failed: cannot resolve ./missing');
    expect(p.named('start')).toHaveLength(0);
    fail = false;
    await supervisor.restart();
    expect(builds).toBe(2);
    expect(p.named('start')).toHaveLength(1);
  });
});

describe('an entry the build step makes', () => {
  it('is looked for after the build, not before the first: missing then, no start and one line naming it', async () => {
    const p = project();
    p.write('build.mjs', "import { cpSync, existsSync } from 'node:fs';\nif (existsSync('src.mjs')) cpSync('src.mjs', 'dist.mjs');\n");
    const { lines, logger } = capture();
    const env = { EVENTS: p.eventsFile, SERVICE: 'api', MODULES: 'shared', PORT: String(await freePort()) };
    const supervisor = createSupervisor({ entry: join(p.dir, 'dist.mjs'), cwd: p.dir, env, watch: false, build: 'node build.mjs' }, { logger });
    onTestFinished(async () => {
      await supervisor.close({ force: true });
    });
    await expect(supervisor.start()).rejects.toThrow(/the build step made no dist\.mjs/);
    expect(lines).toContainEqual('[devsup] no app started: the build step made no dist.mjs, the entry (check entry, and where the build writes) — waiting for a change');
    expect(p.named('start')).toHaveLength(0);
    // Once the build makes it, it starts.
    p.write('src.mjs', (await import('node:fs')).readFileSync(join(p.dir, 'svc-app.mjs'), 'utf8'));
    await supervisor.restart();
    expect(p.named('start')).toHaveLength(1);
    expect(await supervisor.close()).toBe(0);
  });
});

describe('createServices', () => {
  it("returns the CLI's runner: typed events with the service, notify() through each module graph, restart() of a service and its dependents, stdio 'pipe' per service", async () => {
    const p = project();
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const { lines, logger } = capture();
    const services = createServices(
      {
        cwd: p.dir,
        watch: false,
        standby: false,
        readyTimeout: 15_000,
        services: {
          api: { entry: 'svc-app.mjs', stdio: 'pipe', env: { EVENTS: p.eventsFile, SERVICE: 'api', MODULES: 'shared,api-private', PORT: String(apiPort), CLEANUP_MS: '50' } },
          worker: {
            entry: 'svc-app.mjs',
            dependsOn: ['api'],
            stdio: 'pipe',
            env: { EVENTS: p.eventsFile, SERVICE: 'worker', MODULES: 'shared,worker-private', PORT: String(workerPort), DEPENDS_PORT: String(apiPort), CLEANUP_MS: '50' },
          },
        },
      },
      { logger },
    );
    onTestFinished(async () => {
      await services.close({ force: true });
    });
    const ready: string[] = [];
    services.on('ready', (e) => ready.push(`${e.service} #${e.runId}`));
    const cycles: { stopped: string[]; started: string[] }[] = [];
    services.on('cycle', (e) => cycles.push({ stopped: e.stopped, started: e.started }));
    let workerOut = '';
    services.service('worker').stdout!.on('data', (c: Buffer) => (workerOut += c.toString()));
    services.service('api').stdout!.resume();
    await services.start();
    expect(ready).toEqual(['api #1', 'worker #1']);
    // The app's output and its ready() come down two pipes: either may be read first.
    await until('the worker\'s output', () => workerOut.includes('worker listening'));

    p.write('worker-private.mjs', 'export default 2;\n');
    expect(await services.notify([join(p.dir, 'worker-private.mjs')])).toEqual(['worker']);
    p.write('shared.mjs', 'export default 2;\n');
    expect(await services.notify(['shared.mjs'])).toEqual(['api', 'worker']);
    await services.restart({ services: ['api'] });
    expect(cycles).toEqual([
      { stopped: ['worker'], started: ['worker'] },
      { stopped: ['worker', 'api'], started: ['api', 'worker'] },
      { stopped: ['worker', 'api'], started: ['api', 'worker'] },
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^\[devsup\] worker: restart #3: restart of api · /));
    expect(await services.close()).toBe(0);
    expect(p.named('cleanup-end').map((e) => e.service).slice(-2)).toEqual(['worker', 'api']);
  });
});
