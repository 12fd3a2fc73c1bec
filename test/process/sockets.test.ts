// --socket beyond the restart series: a request in flight at the save, a taken port, the hints, the variables, and a
// non-Node server (Python's standard library) under `devsup exec`.
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { join } from 'node:path';
import { createSupervisor } from '../../src/supervisor/supervisor.js';
import { createLogger } from '../../src/supervisor/logger.js';
import { freePort, isAlive, Project, until } from '../helpers/harness.js';
import { failures, startTraffic } from '../helpers/traffic.js';

const get = (port: number, path = '/') =>
  new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });

const listening = (project: Project, version: number) =>
  until(`version ${version} listening`, () => project.named('listening').find((e) => e.version === version), 30_000);

describe('--socket', () => {
  it('a slow request in flight at the save is answered by the old version; the new one serves the next', async () => {
    const project = new Project('held-app.mjs');
    const port = await freePort();
    const devsup = project.run([project.entry, '--socket', `127.0.0.1:${port}`], { env: { PORT: String(port), HOST: '127.0.0.1' } });
    await listening(project, 1);
    const slow = get(port, '/slow/1500');
    await new Promise((r) => setTimeout(r, 200));
    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    expect(await get(port)).toBe('2');
    expect(await slow).toBe('1');
  });

  it('an app with no line of devsup code and no SIGTERM handler: the request in flight at the save completes', async () => {
    const project = new Project('held-bare.mjs');
    const port = await freePort();
    const devsup = project.run([project.entry, '--socket', `127.0.0.1:${port}`], { env: { PORT: String(port), HOST: '127.0.0.1' } });
    const first = await listening(project, 1);
    const slow = get(port, '/slow/1500');
    await new Promise((r) => setTimeout(r, 200));
    project.setVersion(2);
    await devsup.waitForLine(/→ restarting/);
    expect(await slow).toBe('1');
    await listening(project, 2);
    expect(await get(port)).toBe('2');
    // It ended by the SIGTERM, as it would have without devsup, once the request was answered (no escalation).
    expect(devsup.count(/stop timeout|SIGKILL/)).toBe(0);
    expect(isAlive(first.pid)).toBe(false);
  });

  it('passes LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (the app\'s own pid) to a Node app, which serves on the held socket', async () => {
    const project = new Project('held-bare.mjs');
    const port = await freePort();
    const devsup = project.run([project.entry, '--socket', `127.0.0.1:${port}`], { env: { PORT: String(port), HOST: '127.0.0.1' } });
    const first = await listening(project, 1);
    expect(first.listen).toEqual({ fds: '1', pid: String(first.pid), names: String(port) });
    expect(devsup.matching(/held by devsup/)).toEqual([`[devsup] listening on http://127.0.0.1:${port} (held by devsup: no request is refused while the app restarts)`]);
    expect(await get(port)).toBe('1');
    project.setVersion(2);
    const second = await listening(project, 2);
    expect(second.listen).toEqual({ fds: '1', pid: String(second.pid), names: String(port) });
    expect(await get(port)).toBe('2');
    expect(devsup.count(/--socket/)).toBe(0);
  });

  it('stops with one line naming who holds a taken port, and exit code 2', async () => {
    const project = new Project('held-app.mjs');
    const port = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    onTestFinished(() => void holder.close());
    for (const socket of [`127.0.0.1:${port}`, String(port)]) {
      const devsup = project.run([project.entry, '--socket', socket], { env: { PORT: String(port), HOST: '127.0.0.1' } });
      expect((await devsup.exited).code).toBe(2);
      const shown = socket.includes(':') ? socket : `port ${port}`;
      expect(devsup.lines()).toEqual([
        expect.stringMatching(new RegExp(`^\\[devsup\\] error: cannot hold ${shown} \\(--socket\\): it is held by pid ${process.pid} \\(\\S*node .*\\) \\(stop it, or hold another port\\)$`)),
      ]);
    }
    expect(project.named('start')).toEqual([]);
  });

  it('without --socket at all, says nothing of it (the hint only with --verbose)', async () => {
    for (const verbose of [false, true]) {
      const project = new Project('held-app.mjs');
      const port = await freePort();
      const devsup = project.run([project.entry, ...(verbose ? ['--verbose'] : [])], { env: { PORT: String(port), HOST: '127.0.0.1' } });
      await listening(project, 1);
      project.setVersion(2);
      await listening(project, 2);
      await devsup.waitForLine(/restart #1/);
      expect(devsup.count(/with --socket/)).toBe(verbose ? 1 : 0);
    }
  });

  it('hints once at --socket for a port it does not hold, and warns once when the app asks for another host', async () => {
    const project = new Project('held-app.mjs');
    const [port, other] = [await freePort(), await freePort()];
    const devsup = project.run([project.entry, '--socket', String(other)], { env: { PORT: String(port), HOST: '127.0.0.1' } });
    await listening(project, 1);
    project.setVersion(2);
    await listening(project, 2);
    await devsup.waitForLine(/restart #1/);
    expect(devsup.matching(/--socket/)).toEqual([
      `[devsup] the app listens on port ${port}: with --socket ${port} devsup holds it, and no request is refused while the app restarts`,
    ]);
    expect(await get(port)).toBe('2');

    const held = new Project('held-app.mjs');
    const heldPort = await freePort();
    const warned = held.run([held.entry, '--socket', String(heldPort)], { env: { PORT: String(heldPort), HOST: '127.0.0.1' } });
    await listening(held, 1);
    held.setVersion(2);
    await listening(held, 2);
    await warned.waitForLine(/restart #1/);
    expect(warned.matching(/devsup holds/)).toEqual([
      `[devsup] the app asked to listen on 127.0.0.1:${heldPort}, devsup holds port ${heldPort} (all interfaces): it serves on the held socket (--socket 127.0.0.1:${heldPort} to match)`,
    ]);
    expect(await get(heldPort)).toBe('2');
  });

  it('createSupervisor({ sockets }): held from start() until close(), then the port is free again', async () => {
    const project = new Project('held-app.mjs');
    const port = await freePort();
    const supervisor = createSupervisor(
      { entry: join(project.dir, project.entry), cwd: project.dir, sockets: [`127.0.0.1:${port}`], env: { EVENTS: project.eventsFile, PORT: String(port), HOST: '127.0.0.1' }, restartable: false, standby: false },
      { logger: createLogger({ format: 'human', level: 'silent' }) },
    );
    onTestFinished(() => void supervisor.close({ force: true }));
    await supervisor.start();
    expect(await get(port)).toBe('1');
    await supervisor.close();
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', resolve);
    });
    again.close();
  });

  for (const via of ['socket.fromfd(3)', 'devsup_child.listen_sockets()']) {
    it(`exec: a Python http.server on the held socket (${via}) refuses nothing through 5 restarts`, async () => {
      const project = new Project('held-server.py', undefined, ['record.py']);
      const port = await freePort();
      const env: Record<string, string> = via.startsWith('devsup_child') ? { VIA_CLIENT: '1' } : {};
      const devsup = project.run([], {
        args: ['exec', '--socket', `127.0.0.1:${port}`, '--', 'python3', 'held-server.py'],
        env,
      });
      const first = await listening(project, 1);
      expect(first).toEqual(expect.objectContaining({ listen_fds: '1', names: String(port), listen_pid: null }));
      const client = startTraffic(port);
      for (let version = 2; version <= 6; version++) {
        project.setVersion(version);
        await listening(project, version);
        // A project walked whole (exec) sees the edit as a file the app may write itself: the next one comes more
        // than the loop guard's second after the start counted as ready, so that it does not pause the restarts.
        await devsup.waitForLine(new RegExp(`restart #${version - 1}: `));
        await new Promise((r) => setTimeout(r, 1100));
      }
      const traffic = await client.stop();
      expect(traffic.sent).toBeGreaterThan(50);
      expect({ failed: failures(traffic), ...traffic.failed }).toEqual({ failed: 0, refused: 0, reset: 0, timeout: 0, other: 0 });
      expect(await get(port)).toBe('6');
    });
  }
});
