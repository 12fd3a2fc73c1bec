// Teardown you can see: leak audit, leftover processes and their ports, deadline extension, progress, the per-restart
// summary, and the --events stream. Real processes, checked by log lines, ordering, pids and ports.
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CLI, freePort, isAlive, Project, until } from '../helpers/harness.js';

describe('leak audit', () => {
  it('names a server and a timer a cleanup forgot, with the address, in human and JSON output', async () => {
    const port = await freePort();
    for (const format of ['human', 'json']) {
      const project = new Project('forgets-server.ts');
      const devsup = project.run([project.entry, '--log-format', format], { env: { PORT: String(port) } });
      await devsup.waitForLine(/ready in \d+ ms/);
      project.setVersion(2);
      const line = await devsup.waitForLine(/left open/);
      expect(line).toContain(`127.0.0.1:${port}`);
      if (format === 'human') {
        expect(line).toBe(`[devsup] teardown left open: TCP server 127.0.0.1:${port}, 1 timer — is a cleanup missing?`);
      } else {
        expect(JSON.parse(line)).toMatchObject({
          level: 40,
          msg: `teardown left open: TCP server 127.0.0.1:${port}, 1 timer — is a cleanup missing?`,
          openHandles: [{ type: 'TCP server', detail: `127.0.0.1:${port}` }, { type: 'timer', count: 1 }],
        });
      }
      await project.waitFor('start', 2);
      devsup.process.kill('SIGTERM');
      await devsup.exited;
    }
  });

  it('says nothing extra when the cleanups closed everything', async () => {
    const project = new Project('slow-cleanup.ts');
    const devsup = project.run([project.entry], { env: { PORT: String(await freePort()), CLEANUP_MS: '0' } });
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    await devsup.waitForLine(/restart #1: change in version\.mjs · teardown \d+ ms · ready in \d+ ms/);
    expect(devsup.count(/left open|leftover/)).toBe(0);
  });

  // Node 22.22/24.11 on: tsx's hooks run on the main thread, and its cache housekeeping (fs.promises.opendir) is the
  // app's own pending request then; so is an app's last async write. Both end by themselves: not leaks.
  it('says nothing of a 1 MiB write the last cleanup left in flight, and the write completes', async () => {
    const project = new Project('writes-in-cleanup.ts');
    const out = `${project.dir}.out`;
    onTestFinished(() => rmSync(out, { force: true }));
    const devsup = project.run([project.entry], { env: { OUT_FILE: out } });
    await devsup.waitForLine(/ready in \d+ ms/);
    const [first] = await project.waitFor('start');
    project.setVersion(2);
    await devsup.waitForLine(/restart #1: change in version\.mjs · teardown \d+ ms · ready in \d+ ms/);
    expect(devsup.count(/left open/)).toBe(0);
    expect(project.events().filter((e) => e.pid === first!.pid).map((e) => e.event)).toEqual(['start', 'cleanup-returned', 'written']);
    expect(readFileSync(out).equals(Buffer.alloc(1 << 20, 'version 1 '))).toBe(true);
  });

  // A file operation that never ends is still one: the wait for requests to finish is bounded (200 ms).
  it.skipIf(process.platform !== 'linux')('reports a file operation still pending after the cleanups: a read of a FIFO nobody writes', async () => {
    const project = new Project('reads-fifo-in-cleanup.ts');
    const fifo = `${project.dir}.fifo`;
    onTestFinished(() => rmSync(fifo, { force: true }));
    const devsup = project.run([project.entry], { env: { FIFO: fifo } });
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    const line = await devsup.waitForLine(/left open/);
    expect(line).toBe('[devsup] teardown left open: 1 file operation — is a cleanup missing?');
    // Now a writer comes and goes: the read ends (at end of file), should the old app still be waiting on it.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // ENXIO: no reader left, the old app is gone already
    }
    await devsup.waitForLine(/restart #1: change in version\.mjs · teardown \d+ ms · ready in \d+ ms/);
    expect(devsup.count(/left open/)).toBe(1);
  });

  it('reports a port still held by a surviving grandchild, with pid and command, before the next start', async () => {
    const project = new Project('grandchild-listens.ts');
    const port = await freePort();
    const devsup = project.run([project.entry, '--verbose'], { env: { GRANDCHILD_PORT: String(port) } });
    const [first] = await project.waitFor('start');
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    const [, second] = await project.waitFor('start', 2);
    const grandchild = first!.grandchild as number;
    const killed = await devsup.waitForLine(new RegExp(`killed 1 leftover process of the old app: pid ${grandchild} \\(.*node -e .*\\) listening on 127\\.0\\.0\\.1:${port}`));
    const lines = devsup.lines();
    expect(lines.indexOf(killed)).toBeLessThan(lines.findIndex((l) => new RegExp(`started .*\\(pid ${second!.pid}[,)]`).test(l)));
    expect(isAlive(grandchild)).toBe(false);
  });
});

describe('extendDeadline', () => {
  it('lets a 3 s cleanup finish under a 1 s stopTimeout when maxStopTimeout allows', async () => {
    const project = new Project('extends-deadline.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '1000', '--max-stop-timeout', '6000'], { env: { EXTEND_MS: '4000' } });
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    await project.waitFor('start', 2, 30_000);
    expect(project.named('cleanup-start')[0]).toMatchObject({ granted: true });
    expect(project.named('cleanup-end')).toHaveLength(1);
    expect(devsup.lines()).toContainEqual(expect.stringMatching(/app asked for 4000 ms more to stop: granted 4000 ms$/));
    expect(devsup.count(/SIGTERM|SIGKILL/)).toBe(0);
  });

  it('does not, past maxStopTimeout: the ladder goes on at the cap', async () => {
    const project = new Project('extends-deadline.ts');
    const devsup = project.run([project.entry, '--stop-timeout', '1000', '--max-stop-timeout', '1500', '--kill-grace', '500'], { env: { EXTEND_MS: '4000' } });
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    await project.waitFor('start', 2, 30_000);
    expect(project.named('cleanup-end')).toHaveLength(0);
    await devsup.waitForLine(/app asked for 4000 ms more to stop: granted 1\d{3} ms \(capped by maxStopTimeout, 1500 ms\)/);
    await devsup.waitForLine(/stop timeout \(1000 ms\): cleanup "migration" still running after 1\.\d s → SIGTERM/);
  });
});

describe('progress and summary', () => {
  it('prints plain progress lines (not a terminal) while slow cleanups run, then one summary line', async () => {
    const project = new Project('slow-cleanup.ts');
    const devsup = project.run([project.entry], { env: { PORT: String(await freePort()), CLEANUP_MS: '1200' } });
    await devsup.waitForLine(/ready in \d+ ms/);
    project.setVersion(2);
    await devsup.waitForLine(/^\[devsup\] stopping: http server ✓ \d+ ms · db pool … \d+ ms$/);
    await devsup.waitForLine(/^\[devsup\] stopping: http server ✓ \d+ ms · db pool ✓ 1\.\d s$/);
    await devsup.waitForLine(/^\[devsup\] restart #1: change in version\.mjs · teardown 1\.?\d* ?\d+ ms · ready in \d+ ms$/);
  });
});

describe('--events', () => {
  it('writes one JSON object per lifecycle event: start, 2 edits, Ctrl-C', async () => {
    const project = new Project('slow-cleanup.ts');
    const file = `${project.dir}.lifecycle.jsonl`;
    const devsup = project.run([project.entry, '--events', file], { env: { PORT: String(await freePort()), CLEANUP_MS: '0' }, detached: true });
    await project.waitFor('ready');
    await devsup.waitForLine(/watching/);
    project.setVersion(2);
    await until('version 2 ready', () => project.named('ready').some((e) => e.version === 2));
    project.setVersion(3);
    await until('version 3 ready', () => project.named('ready').some((e) => e.version === 3));
    process.kill(-devsup.pid, 'SIGINT');
    expect((await devsup.exited).code).toBe(0);

    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { v: number; t: number; type: string; [k: string]: unknown });
    expect(lines.every((l) => l.v === 2 && typeof l.t === 'number')).toBe(true);
    expect(lines.map((l) => l.t)).toEqual([...lines.map((l) => l.t)].sort((a, b) => a - b));
    // One save can be two changes (truncate, then write), both merged into the same restart: the second may land
    // anywhere before the next spawn. So: the sequence without changes, and a change opening each restart.
    const types = lines.map((l) => l.type);
    const rest = types.filter((type) => type !== 'changed' && type !== 'settled' && type !== 'ignored');
    const generation = ['stop-requested', 'cleanup', 'cleanup', 'exited', 'started', 'ready'];
    expect(rest.slice(0, 14)).toEqual(['started', 'ready', ...generation, ...generation]);
    // Each restart's changes settle (the quiet period passes) before the next child is started.
    for (const [i, type] of types.entries()) {
      if (type === 'started' && lines[i]!.runId !== 1) expect(types.slice(types.lastIndexOf('stop-requested', i), i)).toContain('settled');
    }
    for (const [i, type] of types.entries()) {
      // The change that restarts a generation comes after that generation was ready.
      if (type === 'stop-requested' && lines[i]!.reason === 'restart') expect(types.slice(types.lastIndexOf('ready', i), i)).toContain('changed');
    }
    expect(types.indexOf('changed')).toBe(2);
    // Ctrl-C reaches the app directly too, so its first cleanup report may come before devsup's stop request.
    expect(rest.slice(14, 17).sort()).toEqual(['cleanup', 'cleanup', 'stop-requested']);
    expect(rest.slice(17)).toEqual(['exited', 'closed']);
    const byType = (type: string) => lines.filter((l) => l.type === type);
    expect(byType('changed')[0]).toMatchObject({ paths: ['version.mjs'] });
    expect(byType('settled')[0]).toMatchObject({ paths: ['version.mjs'] });
    expect(byType('stop-requested')).toMatchObject([
      { runId: 1, reason: 'restart' }, { runId: 2, reason: 'restart' }, { runId: 3, reason: 'exit' },
    ]);
    expect(byType('cleanup')[0]).toMatchObject({ runId: 1, name: 'http server', outcome: 'done', ms: expect.any(Number) });
    expect(byType('started').map((l) => l.runId)).toEqual([1, 2, 3]);
    expect(byType('exited')).toMatchObject([
      { runId: 1, code: 0, signal: null, asked: true }, { runId: 2, code: 0, asked: true }, { runId: 3, code: 0, asked: true },
    ]);
    expect(lines.at(-1)).toEqual({ v: 2, t: expect.any(Number), type: 'closed', exitCode: 0 });
  });
});

describe('on a terminal', () => {
  it('redraws one progress line in place, and the terminal itself is not reported as left open', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    // `script` gives devsup and the app a real pseudo-terminal, as a person's shell would.
    const command = `${process.execPath} ${CLI} run ${project.entry}`;
    const term = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: project.dir,
      env: { ...process.env, EVENTS: project.eventsFile, PORT: String(port), CLEANUP_MS: '1200', COLUMNS: '120' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    onTestFinished(() => {
      try {
        process.kill(-term.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    });
    let screen = '';
    term.stdout!.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    await until('the app to be ready', () => /ready in \d+ ms/.test(screen));
    project.setVersion(2);
    await until('the restart summary', () => /restart #1: change in version\.mjs/.test(screen), 30_000);
    // Redrawn: the line is cleared (\r ESC[2K) and written again as the cleanup runs.
    const redraws = screen.split('\r\x1b[2K').filter((part) => part.includes('stopping: http server ✓'));
    expect(redraws.length).toBeGreaterThan(2);
    expect(screen).not.toContain('left open');
    process.kill(-term.pid!, 'SIGINT');
  });
});
