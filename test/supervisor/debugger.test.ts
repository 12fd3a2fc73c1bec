// Debugging under devsup (issue 14): with a debugger attached, Node keeps an app whose code has exited until the
// debugger disconnects; devsup says so and ends it at once, and the next app gets the inspector port. With
// --inspect-brk each start waits for a debugger, and that wait is not counted against readyTimeout. The debugger is a
// real one: `node inspect`, Node's own command-line client, attached over the inspector's WebSocket.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort, kill, Project, sleep, until, type Devsup } from '../helpers/harness.js';

/** Attaches Node's command-line debugger to the inspector on `port`; it stays attached while its stdin is open. */
function attach(port: number) {
  const client = spawn(process.execPath, ['inspect', `127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  client.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  onTestFinished(() => kill(client.pid!));
  return {
    pid: client.pid!,
    /** Waits for the client to print `pattern` (it prints "Break on start" when the app waits at its first line). */
    said: (pattern: RegExp) => until(`the debugger client to print ${pattern} — so far:\n${output}`, () => pattern.test(output)),
    send: (command: string) => client.stdin.write(`${command}\n`),
  };
}

const attachedCount = (devsup: Devsup) => devsup.count(/^Debugger attached\./);

describe('a debugger attached to the app', () => {
  it.each([
    ['devsup/child (cleanups over IPC)', 'slow-cleanup.ts', 5],
    ['its own SIGTERM handler, no devsup/child', 'plain-sigterm.mjs', 2],
  ])('%s: each restart ends the process the debugger holds, at once, and the next app listens on the same inspector port', async (_name, fixture, restarts) => {
    const project = new Project(fixture);
    const inspectPort = await freePort();
    // A stop timeout no restart here may reach: an escalation would show as its lines, and as a teardown past it.
    const devsup = project.run([project.entry, `--inspect=127.0.0.1:${inspectPort}`, '--stop-timeout', '20000', '--events', project.lifecycleFile], {
      env: { PORT: String(await freePort()), CLEANUP_MS: '50' },
    });
    for (let n = 1; n <= restarts; n++) {
      await project.waitFor('listening', n);
      await devsup.waitForLine(new RegExp(`^Debugger listening on ws://127\\.0\\.0\\.1:${inspectPort}/`), n);
      const client = attach(inspectPort);
      await until('the debugger to attach', () => attachedCount(devsup) >= n);
      await client.said(/debug>/);
      project.setVersion(n + 1);
      const line = await devsup.waitForLine(new RegExp(`^\\[devsup\\] restart #${n}: `));
      kill(client.pid); // the next app gets a client of its own
      // Node's own line, then devsup's: only the debugger held the process, and devsup ended it.
      expect(devsup.count(/^Waiting for the debugger to disconnect\.\.\./)).toBe(n);
      expect(devsup.count(/the app has exited, but its debugger kept the process open .*: ended it$/)).toBe(n);
      const teardown = Number(/teardown (\d+) ms/.exec(line)?.[1]);
      expect(teardown, line).toBeLessThan(5000);
    }
    await project.waitFor('listening', restarts + 1);
    expect(devsup.matching(/stop timeout|SIGKILL to its process tree|forced stop/)).toEqual([]);
    // No standby opened the inspector beside the running app (Node would then run the next app without one).
    expect(devsup.matching(/Starting inspector .* failed/)).toEqual([]);
    // Each app exited with its own code: the SIGKILL that ended the debugger's wait is not the exit.
    const exits = project.lifecycle('exited');
    expect(exits).toHaveLength(restarts);
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null, asked: true });
    devsup.process.kill('SIGTERM');
    expect((await devsup.exited).code).toBe(0);
  });
});

describe('the inspector open, no debugger attached', () => {
  it('nothing is ended: the app\'s own exit listener that takes 300 ms finishes, and its exit is its own', async () => {
    const project = new Project('plain-sigterm.mjs');
    // An exit listener that writes a file after 300 ms of work, as a slow flush would.
    project.write('slow-exit.cjs', [
      "process.on('exit', () => { const end = Date.now() + 300; while (Date.now() < end); require('node:fs').writeFileSync(process.env.MARK, 'flushed'); });",
      '',
    ].join('\n'));
    const mark = `${project.dir}.mark`;
    onTestFinished(() => rmSync(mark, { force: true }));
    const devsup = project.run([project.entry, '--inspect=127.0.0.1:0', '-r', './slow-exit.cjs', '--events', project.lifecycleFile], {
      env: { PORT: String(await freePort()), MARK: mark },
    });
    await project.waitFor('listening');
    project.setVersion(2);
    await project.waitFor('listening', 2);
    expect(readFileSync(mark, 'utf8')).toBe('flushed');
    expect(devsup.matching(/debugger kept the process open/)).toEqual([]);
    const [exit] = await project.waitForLifecycle('exited');
    expect(exit).toMatchObject({ code: 0, signal: null });
    devsup.process.kill('SIGTERM');
    await devsup.exited;
  });
});

describe('--inspect-brk', () => {
  it('every start waits for a debugger, and neither that wait nor the break on the first line counts against readyTimeout', async () => {
    const project = new Project('plain-sigterm.mjs');
    const inspectPort = await freePort();
    const readyTimeout = 500;
    const devsup = project.run([project.entry, `--inspect-brk=127.0.0.1:${inspectPort}`, '--ready-timeout', String(readyTimeout), '--events', project.lifecycleFile], {
      env: { PORT: String(await freePort()) },
    });
    for (let n = 1; n <= 2; n++) {
      await devsup.waitForLine(/^\[devsup\] started plain-sigterm\.mjs \(pid \d+\) — waiting for a debugger to attach$/, n);
      await devsup.waitForLine(new RegExp(`^Debugger listening on ws://127\\.0\\.0\\.1:${inspectPort}/`), n);
      // Long past the ready timeout, nobody attached: no app code ran, and the start is not counted ready.
      await sleep(3 * readyTimeout);
      expect(project.named('start')).toHaveLength(n - 1);
      const client = attach(inspectPort);
      await client.said(/Break on start/);
      await sleep(3 * readyTimeout); // a person looking at the first line
      expect(project.lifecycle('ready').filter((e) => e.runId === n)).toEqual([]);
      const resumedAt = Date.now();
      client.send('cont');
      const [started] = (await project.waitFor('start', n)).slice(n - 1);
      expect(started!.version).toBe(n);
      expect(started!.t).toBeGreaterThanOrEqual(resumedAt - 50); // the app's code ran once resumed, not before
      const [ready] = await project.waitForLifecycle('ready', (e) => e.runId === n);
      expect(ready).toMatchObject({ via: 'timeout' });
      // The ready timeout counted from the resume (the app's running time), not through the pause before it.
      expect(Date.now() - resumedAt).toBeGreaterThanOrEqual(readyTimeout);
      kill(client.pid);
      if (n === 1) project.setVersion(2);
    }
    await devsup.waitForLine(/^\[devsup\] restart #1: change in version\.mjs · teardown \d+ ms · started \(no ready\(\) call\)$/);
    devsup.process.kill('SIGTERM');
    expect((await devsup.exited).code).toBe(0);
  });
});
