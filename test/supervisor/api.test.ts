// The programmatic API, as a framework would embed it: in this process, no process.exit, no signal handlers.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger, createSupervisor, DevsupError, type Config, type Supervisor } from '../../src/index.js';
import { freePort, isAlive, Project, until } from '../helpers/harness.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ format: 'human', level: 'info', stream }) };
}

async function supervise(project: Project, config: Config = {}, env: Record<string, string> = {}) {
  const { lines, logger } = capture();
  const supervisor = createSupervisor(
    // The fixtures call ready(): a long readyTimeout keeps a slow boot on a busy machine from counting as ready
    // before the app said hello (a restart would then stop it with a signal, not a message).
    { entry: join(project.dir, project.entry), cwd: project.dir, env: { EVENTS: project.eventsFile, ...env }, readyTimeout: 15_000, ...config },
    { logger },
  );
  onTestFinished(async () => {
    await supervisor.close({ force: true });
  });
  return { supervisor, lines };
}

function record(supervisor: Supervisor) {
  const events: string[] = [];
  supervisor.on('started', (e) => events.push(`started #${e.runId}`));
  supervisor.on('ready', (e) => events.push(`ready #${e.runId} ${e.via}`));
  supervisor.on('restarting', (e) => events.push(`restarting #${e.runId} ${e.trigger.reason}`));
  supervisor.on('cleanup', (e) => events.push(`cleanup #${e.runId} ${e.name} ${e.status}`));
  supervisor.on('exited', (e) => events.push(`exited #${e.runId} ${e.exit.code} asked=${e.asked}`));
  supervisor.on('crashed', (e) => events.push(`crashed #${e.runId}`));
  supervisor.on('closed', (e) => events.push(`closed ${e.exitCode}`));
  return events;
}

describe('createSupervisor', () => {
  it('emits started, ready, restarting, cleanup, exited and closed in order, with timings and the teardown report', async () => {
    const project = new Project('slow-cleanup.ts');
    const { supervisor } = await supervise(project, {}, { PORT: String(await freePort()), CLEANUP_MS: '100' });
    const events = record(supervisor);
    const reports: { teardownMs?: number; cleanups: { name: string; ms: number }[] }[] = [];
    supervisor.on('exited', (report) => reports.push(report));
    const readyMs: number[] = [];
    supervisor.on('ready', (e) => readyMs.push(e.ms));

    await supervisor.start();
    expect(supervisor.state).toMatchObject({ kind: 'running', runId: 1 });
    await supervisor.restart();
    expect(supervisor.state).toMatchObject({ kind: 'running', runId: 2 });
    expect(await supervisor.close()).toBe(0);
    expect(supervisor.state).toEqual({ kind: 'closed', exitCode: 0 });

    expect(events).toEqual([
      'started #1', 'ready #1 message',
      'restarting #1 manual', 'cleanup #1 http server done', 'cleanup #1 db pool done', 'exited #1 0 asked=true',
      'started #2', 'ready #2 message',
      'cleanup #2 http server done', 'cleanup #2 db pool done', 'exited #2 0 asked=true',
      'closed 0',
    ]);
    expect(readyMs.every((ms) => ms > 0)).toBe(true);
    expect(reports[0]!.cleanups.map((c) => c.name)).toEqual(['http server', 'db pool']);
    expect(reports[0]!.cleanups[1]!.ms).toBeGreaterThanOrEqual(99);
    expect(reports[0]!.teardownMs).toBeGreaterThanOrEqual(reports[0]!.cleanups[1]!.ms);
  });

  it('coalesces restart() called during a restart: one new child, one shutdown request', async () => {
    const project = new Project('slow-cleanup.ts');
    const { supervisor } = await supervise(project, {}, { PORT: String(await freePort()), CLEANUP_MS: '300' });
    await supervisor.start();
    const [first] = project.named('start');
    const a = supervisor.restart();
    await project.waitFor('cleanup-start');
    const b = supervisor.restart();
    await Promise.all([a, b]);
    expect(project.named('start')).toHaveLength(2);
    expect(project.named('message').filter((e) => e.pid === first!.pid && e.type === 'shutdown')).toHaveLength(1);
  });

  it('close() is idempotent: a second call returns the same promise', async () => {
    const project = new Project('cleanup-order.ts');
    const { supervisor } = await supervise(project);
    await supervisor.start();
    const first = supervisor.close();
    const second = supervisor.close();
    expect(second).toBe(first);
    expect(await first).toBe(1); // the fixture's cleanups fail on purpose
  });

  it('await using closes the supervisor and its app at the end of the block', async () => {
    const project = new Project('cleanup-order.ts');
    let pid: number | undefined;
    {
      await using supervisor = (await supervise(project)).supervisor;
      await supervisor.start();
      pid = supervisor.pid;
      expect(isAlive(pid!)).toBe(true);
    }
    expect(isAlive(pid!)).toBe(false);
    expect(project.named('cleanup')).toHaveLength(3);
  });

  it('two supervisors in one process do not interfere', async () => {
    const a = new Project('slow-cleanup.ts');
    const b = new Project('slow-cleanup.ts');
    const one = await supervise(a, {}, { PORT: String(await freePort()), CLEANUP_MS: '0' });
    const two = await supervise(b, {}, { PORT: String(await freePort()), CLEANUP_MS: '0' });
    await Promise.all([one.supervisor.start(), two.supervisor.start()]);
    const pidB = two.supervisor.pid;
    a.setVersion(2);
    await until('a restarted', () => a.named('ready').some((e) => e.version === 2));
    expect(two.supervisor.pid).toBe(pidB);
    expect(b.named('start')).toHaveLength(1);
    await Promise.all([one.supervisor.close(), two.supervisor.close()]);
    expect(isAlive(pidB!)).toBe(false);
  });

  it('installs no signal handlers and never exits the process', async () => {
    const before = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s));
    const project = new Project('crashes.mjs');
    const { supervisor } = await supervise(project, { onCrash: 'exit' }, { EXIT_CODE: '3' });
    await expect(supervisor.start()).rejects.toThrow('the app crashed (exit 3) before it was ready');
    expect(await supervisor.close()).toBe(3);
    expect(['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('start() rejects with the reason it cannot start', async () => {
    const project = new Project('crashes.mjs');
    const { supervisor } = await supervise(project, { entry: join(project.dir, 'nope.mjs') });
    await expect(supervisor.start()).rejects.toThrowError(expect.objectContaining({ code: 'ENTRY_NOT_FOUND' }) as DevsupError);
  });

  it('runs hooks in the supervisor, and a failing hook is reported without stopping anything', async () => {
    const project = new Project('cleanup-order.ts');
    const calls: string[] = [];
    const { supervisor, lines } = await supervise(project, {
      hooks: {
        start: (e) => void calls.push(`start ${e.runId}`),
        ready: (e) => void calls.push(`ready ${e.runId}`),
        restart: (e) => {
          calls.push(`restart ${e.runId}`);
          throw new Error('hook broke');
        },
        exit: async (report) => void calls.push(`exit ${report.runId}`),
      },
    });
    await supervisor.start();
    await supervisor.restart();
    await supervisor.close();
    expect(calls).toEqual(['start 1', 'ready 1', 'restart 1', 'exit 1', 'start 2', 'ready 2', 'exit 2']);
    expect(lines).toContain('[devsup] hook restarting failed: hook broke');
    // The hooks' old names still work, each with one line naming the new one.
    expect(lines.filter((l) => /deprecated/.test(l))).toHaveLength(3);
  });
});
