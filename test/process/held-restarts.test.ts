// THE promise of --socket: a fresh connection every 10 ms through 20 restarts of an app with a 300 ms cleanup, and not
// one refused, reset or timed out — for a plain node:http app in JS and in TS, with devsup/child and without it.
import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, Project, ROOT, until } from '../helpers/harness.js';
import { failures, startTraffic } from '../helpers/traffic.js';

interface Series {
  restarts?: number;
  protocol?: 'http' | 'https' | 'tcp';
  env?: Record<string, string>;
  args?: string[];
  more?: string[];
  /** Packages of this repository's node_modules the app imports (linked into the project). */
  packages?: string[];
  /** The edit: version.mjs by default. */
  bump?: (project: Project, version: number) => void;
}

// 20 on the Node that runs `npm test`; .ci/run asks fewer of the other Nodes (the same code path, fewer repeats).
const SERIES = Number(process.env.DEVSUP_HELD_RESTARTS) || 20;

async function throughRestarts(fixture: string, as: string, { restarts: RESTARTS = SERIES, protocol = 'http', env = {}, args = [], more = [], bump = (p, v) => p.setVersion(v), packages = [] }: Series = {}) {
  const project = new Project(fixture, as, more);
  for (const name of packages) symlinkSync(join(ROOT, 'node_modules', name), join(project.dir, 'node_modules', name), 'junction');
  bump(project, 1);
  const port = await freePort();
  const devsup = project.run([project.entry, '--socket', `127.0.0.1:${port}`, ...args], {
    env: { PORT: String(port), HOST: '127.0.0.1', CLEANUP_MS: '300', ...env },
  });
  await devsup.waitForLine(/held by devsup/);
  await until('version 1 listening', () => project.named('listening').some((e) => e.version === 1));
  const client = startTraffic(port, { protocol });
  for (let version = 2; version <= RESTARTS + 1; version++) {
    bump(project, version);
    await until(`version ${version} listening`, () => project.named('listening').some((e) => e.version === version), 30_000);
    await new Promise((r) => setTimeout(r, 50));
  }
  const traffic = await client.stop();
  expect(project.named('start').map((e) => e.version)).toEqual(Array.from({ length: RESTARTS + 1 }, (_, i) => i + 1));
  expect(traffic.sent).toBeGreaterThan(RESTARTS * 10);
  expect({ failed: failures(traffic), ...traffic.failed }).toEqual({ failed: 0, refused: 0, reset: 0, timeout: 0, other: 0 });
  expect(traffic.answered).toBe(traffic.sent);
  expect(traffic.bodies.get(String(RESTARTS + 1))).toBeGreaterThan(0);
  expect(project.named('listen-error')).toEqual([]);
  return { devsup, traffic };
}

describe('--socket: no request refused during restarts', () => {
  it('node:http with devsup/child, JS', async () => {
    await throughRestarts('held-app.mjs', 'held-app.mjs');
  });
  it('node:http with devsup/child, TS', async () => {
    await throughRestarts('held-app.mjs', 'held-app.ts');
  });
  it('node:http without devsup/child (its own SIGTERM handler), JS', async () => {
    await throughRestarts('held-plain.mjs', 'held-plain.mjs');
  });
  it('node:http without devsup/child (its own SIGTERM handler), TS', async () => {
    await throughRestarts('held-plain.mjs', 'held-plain.ts');
  });
  it('node:http with no stop handling at all (the preload drains its server at SIGTERM), JS', async () => {
    await throughRestarts('held-bare.mjs', 'held-bare.mjs');
  });
  // devDependencies: the frameworks' own listen() goes through net.Server.prototype.listen too.
  const installed = (name: string) => existsSync(join(ROOT, 'node_modules', name, 'package.json'));
  it.skipIf(!installed('express'))('Express 5, with no stop handling at all (the preload drains it), JS', async () => {
    await throughRestarts('held-express.mjs', 'held-express.mjs', { packages: ['express'] });
  });
  it.skipIf(!installed('fastify'))('Fastify 5 with devsup/child, TS', async () => {
    await throughRestarts('held-fastify.mjs', 'held-fastify.ts', { packages: ['fastify'] });
  });
  for (const kind of ['http', 'https', 'net'] as const) {
    it(`node:${kind}, CommonJS, listen({ port, host }): 5 restarts`, async () => {
      await throughRestarts('held-kinds.cjs', 'held-kinds.cjs', {
        restarts: 5,
        protocol: kind === 'net' ? 'tcp' : kind,
        env: { KIND: kind },
        bump: (project, version) => project.write('version.cjs', `module.exports = ${version};\n`),
        more: ['tls-key.pem', 'tls-cert.pem'],
      });
    });
  }
});
