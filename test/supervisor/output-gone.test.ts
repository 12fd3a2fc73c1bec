// devsup's own output goes away under it: a log reader that ended, a terminal window closed. The app's cleanups
// still run, and devsup ends as it would have (issue 16 item 7).
import { spawn } from 'node:child_process';
import { onTestFinished, describe, expect, it } from 'vitest';
import { CLI, freePort, kill, Project, until } from '../helpers/harness.js';

describe("devsup's output gone", () => {
  it('a log reader that ended (EPIPE on stderr), then SIGHUP: the cleanups run, devsup exits with the app', async () => {
    const project = new Project('slow-cleanup.ts');
    const devsup = project.run([project.entry, '--events', project.lifecycleFile], { env: { PORT: String(await freePort()) } });
    await devsup.ready();
    await project.waitFor('ready');
    // `devsup … 2>&1 | cat`, then cat killed: the read end of devsup's stderr is gone.
    devsup.process.stderr!.destroy();
    process.kill(devsup.pid, 'SIGHUP');
    const exit = await devsup.exited;
    expect(project.named('cleanup-end').map((e) => e.name)).toEqual(['db pool']);
    expect(project.lifecycle('closed')).toEqual([expect.objectContaining({ exitCode: 0 })]);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('a terminal that closed (the pty master gone): the cleanups run, devsup exits with a code (that of the app, or 129), not by a signal', async () => {
    const project = new Project('slow-cleanup.ts');
    const port = await freePort();
    // devsup as a terminal runs it: the session leader on a pseudo-terminal; the master is closed once it is ready.
    const script = [
      'import json, os, pty, select, sys, time',
      'pid, fd = pty.fork()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      'print(json.dumps({"pid": pid}), flush=True)',
      'out, end = b"", time.time() + 20',
      'while b"ready in" not in out and time.time() < end:',
      '    if select.select([fd], [], [], 0.1)[0]: out += os.read(fd, 4096)',
      'os.close(fd)',
      '_, status = os.waitpid(pid, 0)',
      'print(json.dumps({"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None, "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, "out": out.decode(errors="replace")}), flush=True)',
    ].join('\n');
    const python = spawn('python3', ['-c', script, process.execPath, CLI, 'run', project.entry, '--events', project.lifecycleFile], {
      cwd: project.dir,
      env: { ...process.env, EVENTS: project.eventsFile, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    python.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    onTestFinished(() => {
      const first = output.split('\n')[0];
      if (first) kill((JSON.parse(first) as { pid: number }).pid);
      kill(python.pid!);
    });
    const result = await until('the pty script to report', () => {
      const lines = output.split('\n').filter(Boolean);
      return lines.length >= 2 ? (JSON.parse(lines[1]!) as { signal: number | null; code: number | null; out: string }) : undefined;
    }, 30_000);
    expect(result.out).toMatch(/ready in \d+ ms/);
    expect(project.named('cleanup-end').map((e) => e.name)).toEqual(['db pool']);
    expect(project.lifecycle('cleanup')).toEqual([
      expect.objectContaining({ name: 'http server', outcome: 'done' }),
      expect.objectContaining({ name: 'db pool', outcome: 'done' }),
    ]);
    // Not Node's abort at exit on the hung-up terminal (SIGSEGV, SIGABRT), but devsup's own exit: the app's code, or
    // 128 + 1 for the SIGHUP if the app ended by a signal (the hangup reaches the app too; which comes first varies).
    const app = project.lifecycle('exited').at(-1)!;
    expect(result).toEqual(expect.objectContaining({ signal: null, code: app.signal === null ? app.code : 129 }));
  });
});
