// The leak audit names only what is really still open: a socket a cleanup destroyed or ended, whose handle closes a
// moment after the cleanup returned, is not reported (issue 14); one a cleanup forgot still is, by its addresses.
import { createServer, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Project } from '../helpers/harness.js';

// A loopback server in the test process, for the app's client socket; closed (with its connections) by the test.
async function localServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return (server.address() as { port: number }).port;
}

describe('leak audit after a cleanup that closed its sockets', () => {
  for (const close of ['destroy', 'end']) {
    it(`says nothing of a keep-alive client socket the cleanup ${close === 'destroy' ? 'destroyed' : 'ended'}`, async () => {
      const port = await localServer();
      const project = new Project('keeps-alive-client.ts');
      const devsup = project.run([project.entry], { env: { PORT: String(port), CLOSE: close } });
      await devsup.waitForLine(/ready in \d+ ms/);
      for (let version = 2; version <= 4; version++) {
        project.setVersion(version);
        await devsup.waitForLine(new RegExp(`restart #${version - 1}: change in version\\.mjs · teardown \\d+ ms · ready in \\d+ ms`));
      }
      expect(devsup.lines().filter((l) => /left open|SocketWrap|TCPWrap/.test(l))).toEqual([]);
      devsup.process.kill('SIGTERM');
      await devsup.exited;
    });
  }

  it('still names a socket the cleanup forgot, by its addresses', async () => {
    const port = await localServer();
    const project = new Project('keeps-alive-client.ts');
    const devsup = project.run([project.entry], { env: { PORT: String(port), CLOSE: 'none' } });
    await devsup.waitForLine(/ready in \d+ ms/);
    const [connected] = await project.waitFor('connected');
    project.setVersion(2);
    const line = await devsup.waitForLine(/left open/);
    expect(line).toBe(`[devsup] teardown left open: socket 127.0.0.1:${connected!.localPort} → 127.0.0.1:${port} — is a cleanup missing?`);
    devsup.process.kill('SIGTERM');
    await devsup.exited;
  });
});
