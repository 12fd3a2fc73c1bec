// Python apps: the client (clients/python/devsup_child.py) driven over its channel by the test and on its own, and
// `devsup run app.py` for real — including the leaked-semaphore scenario of a multiprocessing app.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, kill, Project, ROOT, until } from '../helpers/harness.js';

// Another interpreter can be tried with DEVSUP_TEST_PYTHON=/path/to/python3.8 (the client supports 3.8 and later).
const PYTHON = process.env.DEVSUP_TEST_PYTHON ?? 'python3';
const PYTHON_ARGS = process.env.DEVSUP_TEST_PYTHON ? ['--python', PYTHON] : [];
const CLIENT = join(ROOT, 'clients/python');
const LEAK_WARNING = /resource_tracker: There appear to be \d+ leaked semaphore objects/g;

interface Message {
  devsup: number;
  type: string;
  [key: string]: unknown;
}

interface PythonApp {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the app sent on its channel (supervised only). */
  messages: Message[];
  channel: Duplex | undefined;
  waitFor: (type: string, count?: number) => Promise<Message[]>;
}

/**
 * Runs a fixture with python3 as devsup would (supervised: the channel on fd 3, which the test plays devsup on), or
 * as in production (plain `python3 app.py`). Killed by pid when the test ends.
 */
function startPython(project: Project, { supervised, env = {} }: { supervised: boolean; env?: Record<string, string> }): PythonApp {
  const base: Record<string, string | undefined> = { ...process.env, EVENTS: project.eventsFile, PYTHONPATH: CLIENT, ...env };
  for (const name of ['DEVSUP_IPC', 'NODE_CHANNEL_FD', 'DEVSUP_STOP_TIMEOUT', 'DEVSUP_PID']) delete base[name];
  if (supervised) Object.assign(base, { DEVSUP_IPC: '1', NODE_CHANNEL_FD: '3', DEVSUP_STOP_TIMEOUT: env.DEVSUP_STOP_TIMEOUT ?? '10000' });
  const child = spawn(PYTHON, [project.entry], {
    cwd: project.dir,
    env: base,
    stdio: ['ignore', 'ignore', 'pipe', supervised ? 'pipe' : 'ignore'],
  });
  onTestFinished(() => kill(child.pid!));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const messages: Message[] = [];
  const channel = supervised ? (child.stdio[3] as Duplex) : undefined;
  let pending = '';
  channel?.on('error', () => {});
  channel?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop()!;
    for (const line of lines) messages.push(JSON.parse(line) as Message);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitFor = (type: string, count = 1) =>
    until(`${count} "${type}" message(s)`, () => {
      const found = messages.filter((m) => m.type === type);
      return found.length >= count ? found : undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}; messages: ${JSON.stringify(messages)}; stderr: ${stderr}`);
    });
  return { child, stderr: () => stderr, exited, messages, channel, waitFor };
}

const pythonProject = (fixture: string) => new Project(fixture, undefined, ['record.py']);
const cleanupMessages = (app: PythonApp) => app.messages.filter((m) => m.type === 'cleanup').map((m) => `${m.status as string} ${m.name as string}`);

describe('devsup_child.py under a supervisor (the test plays devsup on fd 3)', () => {
  it('says hello, ignores garbage, then runs each cleanup last registered first through sys.exit(), an async one, a throw and a hang, reports each, and exits 1 after the interpreter\'s own exit', async () => {
    const project = pythonProject('cleanup-order.py');
    const app = startPython(project, { supervised: true });
    const [hello] = await app.waitFor('hello');
    expect(hello).toMatchObject({ devsup: 1, sdk: expect.stringMatching(/^python\//), pid: app.child.pid });
    await app.waitFor('ready');

    app.channel!.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a])); // not UTF-8
    const garbage = [
      'this is not json',
      '[1, 2]',
      'null',
      '"shutdown"',
      '{"devsup": 1, "type": "bogus"}',
      '{"devsup": 2, "type": "shutdown", "deadlineMs": 100}',
      '{"type": "shutdown"}',
      '['.repeat(100_000),
      'x'.repeat(2 * 1024 * 1024),
    ];
    for (const line of garbage) app.channel!.write(`${line}\n`);
    app.channel!.write('{"devsup": 1, "type": "shutdown"'); // an unfinished line: nothing until its newline
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(app.messages.map((m) => m.type)).toEqual(['hello', 'ready']);
    expect(isAlive(app.child.pid!)).toBe(true);

    app.channel!.write(', "reason": "restart", "deadlineMs": 10000}\n');
    const [done] = await app.waitFor('shutdown-done');
    const order = ['calls sys.exit', 'async', 'third', 'second', 'first'];
    expect(app.messages.find((m) => m.type === 'stopping')).toMatchObject({ cleanups: order });
    // One at a time: each cleanup's outcome comes before the next one starts.
    expect(cleanupMessages(app)).toEqual([
      'started calls sys.exit', 'failed calls sys.exit',
      'started async', 'done async',
      'started third', 'failed third',
      'started second', 'timed-out second',
      'started first', 'done first',
    ]);
    const results = done!.results as { name: string; status: string; ms: number; error?: string }[];
    expect(results.map((r) => [r.name, r.status, r.error])).toEqual([
      ['calls sys.exit', 'failed', 'SystemExit: 3'],
      ['async', 'done', undefined],
      ['third', 'failed', 'RuntimeError: third cleanup broke'],
      ['second', 'timed-out', undefined],
      ['first', 'done', undefined],
    ]);
    const second = results.find((r) => r.name === 'second')!;
    expect(second.ms).toBeGreaterThanOrEqual(195);
    expect(second.ms).toBeLessThan(5000);
    expect(await app.exited).toEqual({ code: 1, signal: null });
    // The events, in order: no cleanup ran twice or after sys.exit(), the removed one never; the exit was normal.
    const events = project.events().map((e) => (e.event === 'cleanup' ? `cleanup ${e.name as string}` : e.event));
    expect(events).toEqual(['start', ...order.map((name) => `cleanup ${name}`), 'atexit']);
    expect(project.named('cleanup').find((e) => e.name === 'async')!.thread).not.toBe('MainThread');
  });

  it('runs cleanups registered inside asyncio.run() on that loop while it runs; asyncio.run() in one is a failure; extend_deadline() asks for time', async () => {
    const project = pythonProject('asyncio-app.py');
    const app = startPython(project, { supervised: true });
    await app.waitFor('ready');
    app.channel!.write(`${JSON.stringify({ devsup: 1, type: 'shutdown', reason: 'exit', deadlineMs: 10_000 })}\n`);
    const [done] = await app.waitFor('shutdown-done');
    expect(app.messages.find((m) => m.type === 'extend')).toEqual({ devsup: 1, type: 'extend', ms: 3000 });
    const results = done!.results as { name: string; status: string; error?: string }[];
    expect(results.map((r) => [r.name, r.status])).toEqual([['extend', 'done'], ['nested asyncio.run', 'failed'], ['server', 'done']]);
    expect(results[1]!.error).toMatch(/^RuntimeError: asyncio\.run\(\) cannot be called from a running event loop/);
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(project.named('start')).toMatchObject([{ shutting_down: false, extended: false }]); // nothing to extend yet
    expect(project.named('cleanup').find((e) => e.name === 'extend')).toMatchObject({ extended: true, shutting_down: true });
    expect(project.named('cleanup').find((e) => e.name === 'server')).toMatchObject({ on_app_loop: true, thread: 'MainThread' });
    // Then the main thread unwound through asyncio.run's own teardown, and the interpreter exited normally.
    const events = project.events().map((e) => e.event);
    expect(events.slice(-2)).toEqual(['main-finally', 'atexit']);
  });

  it('the channel reaching EOF (devsup died): the cleanups run, a hanging one bounded by DEVSUP_STOP_TIMEOUT, then a normal exit', async () => {
    const project = pythonProject('hangs-in-cleanup.py');
    const app = startPython(project, { supervised: true, env: { DEVSUP_STOP_TIMEOUT: '1000' } });
    await app.waitFor('ready');
    const closedAt = Date.now();
    app.channel!.destroy();
    const exit = await app.exited;
    const took = Date.now() - closedAt;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(1000 + 3000);
    expect(project.events().map((e) => e.event)).toEqual(['start', 'cleanup-start', 'cleanup', 'atexit']);
    expect(app.stderr()).toMatch(/\[devsup_child\] cleanup "stuck" timed-out after \d+ ms/);
    // The one after it, whose turn came past the deadline, still got its moment (and was done); nothing else was said.
    expect(app.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('names what keeps the process alive after the cleanups (a non-daemon thread), then runs the exit handlers itself: the main thread had ended', async () => {
    const project = pythonProject('blocks-main-thread.py');
    const app = startPython(project, { supervised: true, env: { BLOCK: 'thread' } });
    await project.waitFor('finally');
    app.channel!.write(`${JSON.stringify({ devsup: 1, type: 'shutdown', reason: 'restart', deadlineMs: 10_000 })}\n`);
    const [done] = await app.waitFor('shutdown-done');
    expect(done).toMatchObject({ results: [{ name: 'cleanup', status: 'done' }], openHandles: [{ type: 'thread', detail: 'sleeper' }] });
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(project.events().map((e) => e.event)).toEqual(['blocking', 'finally', 'cleanup', 'atexit']);
  });

  it('a SIGINT after devsup\'s shutdown is the same Ctrl-C, not a second one; a SIGTERM after it exits at once (143)', async () => {
    const project = pythonProject('hangs-in-cleanup.py');
    const app = startPython(project, { supervised: true });
    await app.waitFor('ready');
    app.channel!.write(`${JSON.stringify({ devsup: 1, type: 'shutdown', reason: 'exit', deadlineMs: 30_000 })}\n`);
    await project.waitFor('cleanup-start');
    app.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isAlive(app.child.pid!)).toBe(true);
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 143, signal: null });
    expect(project.named('cleanup-start')).toHaveLength(1);
    expect(project.named('cleanup')).toEqual([]);
  });
});

describe('devsup_child.py without a supervisor (plain python3 app.py)', () => {
  it.each(['sleep', 'queue', 'serve_forever', 'asyncio', 'thread'])(
    'SIGTERM runs the cleanups, then the main thread (blocked in %s) ends normally: finally and atexit run, exit 0',
    async (block) => {
      const project = pythonProject('blocks-main-thread.py');
      const app = startPython(project, { supervised: false, env: { BLOCK: block } });
      await project.waitFor('blocking');
      if (block === 'thread') await project.waitFor('finally'); // its main thread has already ended
      app.child.kill('SIGTERM');
      expect(await app.exited, app.stderr()).toEqual({ code: 0, signal: null });
      const events = project.events().map((e) => e.event);
      expect(events).toEqual(block === 'thread' ? ['blocking', 'finally', 'cleanup', 'atexit'] : ['blocking', 'cleanup', 'finally', 'atexit']);
      expect(app.stderr()).toBe('');
    },
  );

  it('SIGTERM tries every cleanup, prints the failures on stderr, exits 1', async () => {
    const project = pythonProject('cleanup-order.py');
    const app = startPython(project, { supervised: false });
    await project.waitFor('start');
    app.child.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(project.named('cleanup').map((e) => e.name)).toEqual(['calls sys.exit', 'async', 'third', 'second', 'first']);
    expect(app.stderr()).toContain('[devsup_child] cleanup "third" failed after');
    expect(app.stderr()).toContain('RuntimeError: third cleanup broke');
    expect(app.stderr()).toMatch(/\[devsup_child\] cleanup "second" timed-out after \d+ ms/);
    expect(project.named('atexit')).toHaveLength(1);
  });

  it('says what is wrong with a bad argument (TypeError); an app that finishes its work exits on its own', () => {
    const calls = ["on_shutdown('', print)", "on_shutdown('x', 42)", "on_shutdown('x', print, timeout_ms=-1)", "on_shutdown('x', print, timeout_ms='5')", 'extend_deadline(float("nan"))'];
    const source = [
      'from devsup_child import *',
      ...calls.map((call) => `try:\n    ${call}\nexcept TypeError as e:\n    print(e)`),
      "print(extend_deadline(100), is_shutting_down())",
    ].join('\n');
    const result = spawnSync(PYTHON, ['-c', source], { env: { ...process.env, PYTHONPATH: CLIENT }, encoding: 'utf8', timeout: 20_000 });
    expect(result.stdout.trim().split('\n')).toEqual([
      'on_shutdown(name, fn): name must be a non-empty string',
      "on_shutdown('x', fn): fn must be callable",
      "on_shutdown('x'): timeout_ms must be a non-negative number, got -1",
      "on_shutdown('x'): timeout_ms must be a non-negative number, got '5'",
      'extend_deadline(ms): ms must be a non-negative number, got nan',
      'False False',
    ]);
    expect(result.status).toBe(0);
  });

  it('a second SIGINT while a cleanup hangs exits at once (130)', async () => {
    const project = pythonProject('hangs-in-cleanup.py');
    const app = startPython(project, { supervised: false });
    await project.waitFor('start');
    app.child.kill('SIGINT');
    await project.waitFor('cleanup-start');
    expect(isAlive(app.child.pid!)).toBe(true);
    app.child.kill('SIGINT');
    expect(await app.exited).toEqual({ code: 130, signal: null });
  });
});

// --- devsup run app.py ----------------------------------------------------------------------------------------

const semaphoreFile = (name: string) => `/dev/shm/sem.${name.replace(/^\//, '')}`;

/** Every pid and semaphore a multiprocessing-worker.py start recorded: app, worker, resource tracker. */
function recorded(project: Project) {
  const starts = project.named('start');
  return {
    starts,
    pids: starts.flatMap((e) => [e.pid, e.grandchild as number, e.tracker as number]),
    semaphores: starts.flatMap((e) => e.semaphores as string[]),
  };
}

// Whatever a test leaves in /dev/shm (the killing restarts do), it removes; and every process it recorded, it kills.
function cleanUpAfter(project: Project): void {
  onTestFinished(() => {
    const { pids, semaphores } = recorded(project);
    for (const pid of pids) if (isAlive(pid)) kill(pid);
    for (const name of semaphores) if (existsSync(semaphoreFile(name))) unlinkSync(semaphoreFile(name));
  });
}

describe('leaked semaphores: a multiprocessing app (spawn start method, a Queue, a Lock, a worker)', () => {
  it('under devsup: 20 restarts through edits, then Ctrl-C — no leak warning, no /dev/shm entry, no process left', async () => {
    const project = pythonProject('multiprocessing-worker.py');
    cleanUpAfter(project);
    project.write('version.py', 'VERSION = 1\n');
    const devsup = project.run([project.entry, ...PYTHON_ARGS], { detached: true });
    const stdioClosed = new Promise((resolve) => devsup.process.on('close', resolve));
    await devsup.ready();
    await devsup.waitForLine(/ready in \d+ ms/);
    for (let version = 2; version <= 21; version++) {
      project.write('version.py', `VERSION = ${version}\n`);
      await devsup.waitForLine(/restart #\d+: change in version\.py/, version - 1);
      await until(`version ${version} started`, () => project.named('start').some((e) => e.version === version));
    }
    // Ctrl-C in a terminal: SIGINT to the whole foreground process group (devsup, the app, its worker, its tracker).
    process.kill(-devsup.pid, 'SIGINT');
    expect(await devsup.exited, devsup.stderr).toEqual({ code: 0, signal: null });
    await stdioClosed; // every writer of devsup's stderr (the app's tracker included) is gone: nothing more can come

    const { starts, pids, semaphores } = recorded(project);
    expect(starts.map((e) => e.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(semaphores).toHaveLength(4 * 21);
    expect(devsup.stderr.match(LEAK_WARNING) ?? []).toEqual([]);
    expect(semaphores.filter((name) => existsSync(semaphoreFile(name)))).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(devsup.count(/cleanups: worker \d+ ms, queue \d+ ms/)).toBe(21);
    expect(project.named('worker-stopped').map((e) => e.exitcode)).toEqual(Array(21).fill(0));
    // The resource tracker ends on its own once the app has exited: it is not a leftover to kill.
    expect(devsup.count(/leftover|left open|SIGKILL|timed out/)).toBe(0);
  });

  async function naiveRestarts(project: Project, times: number, killTree: boolean) {
    let stderr = '';
    const closed: Promise<unknown>[] = [];
    for (let i = 0; i < times; i++) {
      project.write('version.py', `VERSION = ${i + 1}\n`);
      const app = spawn(PYTHON, [project.entry], {
        cwd: project.dir,
        env: { ...process.env, EVENTS: project.eventsFile, PYTHONPATH: CLIENT },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      onTestFinished(() => kill(app.pid!));
      app.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      closed.push(new Promise((resolve) => app.on('close', resolve)));
      await until('the app to start', () => project.named('start').some((e) => e.version === i + 1));
      const start = project.named('start').find((e) => e.version === i + 1)!;
      // A killing reloader: SIGKILL to the app (or to its whole tree), no cleanup.
      for (const pid of killTree ? [start.pid, start.grandchild as number, start.tracker as number] : [start.pid]) kill(pid);
    }
    await until('the killed apps\' processes to be gone', () => recorded(project).pids.every((pid) => !isAlive(pid)));
    await Promise.all(closed);
    return stderr;
  }

  it('restarted the naive way (SIGKILL of the app), the resource tracker warns about leaked semaphores each time', async () => {
    const project = pythonProject('multiprocessing-worker.py');
    cleanUpAfter(project);
    const stderr = await naiveRestarts(project, 3, false);
    expect(stderr.match(LEAK_WARNING)).toHaveLength(3);
    // (The tracker unlinked them after its warning.)
    expect(recorded(project).semaphores.filter((name) => existsSync(semaphoreFile(name)))).toEqual([]);
  });

  it('with the whole tree SIGKILLed, nobody warns and every semaphore stays in /dev/shm', async () => {
    const project = pythonProject('multiprocessing-worker.py');
    cleanUpAfter(project);
    const stderr = await naiveRestarts(project, 2, true);
    expect(stderr.match(LEAK_WARNING) ?? []).toEqual([]);
    const { semaphores } = recorded(project);
    expect(semaphores).toHaveLength(8);
    expect(semaphores.filter((name) => existsSync(semaphoreFile(name)))).toEqual(semaphores);
  });
});

describe('devsup run app.py', () => {
  it('the stop ladder: a cleanup that hangs past the stop timeout (its own is longer) gets SIGTERM, which ends the app at once; the next one starts', async () => {
    const project = pythonProject('hangs-in-cleanup.py');
    project.write('version.py', 'VERSION = 1\n');
    const devsup = project.run([project.entry, ...PYTHON_ARGS, '--stop-timeout', '1000', '--kill-grace', '500'], { env: { STUCK_TIMEOUT_MS: '60000' } });
    const [first] = await project.waitFor('start');
    await devsup.waitForLine(/ready in \d+ ms/);
    project.write('version.py', 'VERSION = 2\n');
    await devsup.waitForLine(/→ restarting/);
    const asked = Date.now();
    await until('the old app to be gone', () => !isAlive(first!.pid));
    expect(Date.now() - asked).toBeLessThan(1000 + 500 + 500);
    await devsup.waitForLine(/stop timeout \(1000 ms\): cleanup "stuck" still running after (\d+ ms|1\.\d s) → SIGTERM/);
    await devsup.waitForLine(/app ended \(exit 143\) during cleanup "stuck"; never ran: after/);
    await project.waitFor('start', 2);
    expect(project.named('cleanup')).toEqual([]);
  });

  it('runs the interpreter named by python in the config (a path relative to it) with the protocol\'s environment; devsup_child is importable', async () => {
    const project = pythonProject('env-echo.py');
    mkdirSync(join(project.dir, '.venv/bin'), { recursive: true });
    const python = execFileSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    symlinkSync(python, join(project.dir, '.venv/bin/python'));
    project.write('supervisor.config.mjs', "export default { entry: 'env-echo.py', python: '.venv/bin/python', env: { PYTHONPATH: 'lib' } };\n");
    const devsup = project.run([]);
    await devsup.waitForLine(/ready in \d+ ms/);
    const [start] = await project.waitFor('start');
    expect(start).toMatchObject({
      executable: join(project.dir, '.venv/bin/python'),
      // Taken by devsup_child (it deleted them), the rest as for a Node app.
      DEVSUP_IPC: null,
      NODE_CHANNEL_FD: null,
      DEVSUP_RUN: expect.stringMatching(/^[0-9a-f-]{36}$/),
      // The app's own PYTHONPATH first: a devsup_child of its own would win.
      PYTHONPATH: `lib:${CLIENT}`,
      client: join(CLIENT, 'devsup_child.py'),
    });
    devsup.process.kill('SIGKILL'); // devsup dies: the app sees its channel close, runs its cleanup and exits
    await project.waitFor('cleanup');
    await until('the orphaned app to exit', () => !isAlive(start!.pid), 10_000);
  });
});
