// The database pool recipes (pg, knex, drizzle) against a real PostgreSQL wire server: PGlite (PostgreSQL built to
// WebAssembly) behind its socket server, started here on a port the OS handed out. Each pool is ended as a cleanup:
// nothing is left open at the restart or at Ctrl-C. The control, a pool nobody ends, is what devsup then names.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freePort, kill, Project, ROOT, until } from '../helpers/harness.js';
import { runRecipe } from '../helpers/recipe.js';

const PACKAGES = ['pg', 'knex', 'drizzle-orm'];
let databaseUrl = '';
let dbPort = 0;

beforeAll(async () => {
  dbPort = await freePort();
  const server = spawn(process.execPath, [join(ROOT, 'node_modules/@electric-sql/pglite-socket/dist/scripts/server.js'), '--port', String(dbPort), '--host', '127.0.0.1', '--max-connections', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(`the database server to listen — so far:\n${output}`, () => output.includes('listening'), 30_000);
  databaseUrl = `postgres://postgres@127.0.0.1:${dbPort}/postgres`;
  return () => kill(server.pid!);
}, 40_000);

describe('recipes: database pools', () => {
  it.each([
    ['pg: pool.end()', 'pg', /^\[devsup\] cleanups: http server \d+ ms, pg pool \d+ ms$/],
    ['knex: db.destroy()', 'knex', /^\[devsup\] cleanups: http server \d+ ms, knex \d+ ms$/],
    ['drizzle: its pg pool ended', 'drizzle', /^\[devsup\] cleanups: http server \d+ ms, pg pool \(drizzle\) \d+ ms$/],
  ])('%s', async (_name, client, cleanups) => {
    await runRecipe({
      fixture: 'db-pools', entry: 'src/server.mjs', link: PACKAGES, edited: `src/${client}.mjs`, cleanups,
      run: { env: { DATABASE_URL: databaseUrl, DB_CLIENT: client } },
    });
  });

  it('control: a pool nobody ends is named after the teardown, by its socket to the database', async () => {
    const project = new Project('recipes/db-pools', 'src/server.mjs', [], PACKAGES);
    project.write('src/leaky.mjs', [
      "import pg from 'pg';",
      'const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 3 });',
      "export const answer = async () => (await pool.query(\"select 'hello' as greeting\")).rows[0].greeting;",
      '',
    ].join('\n'));
    const port = await freePort();
    const devsup = project.run([project.entry], { env: { PORT: String(port), DATABASE_URL: databaseUrl, DB_CLIENT: 'leaky' } });
    await devsup.waitForLine(/^\[devsup\] ready in/);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hello');
    devsup.process.kill('SIGINT');
    await devsup.exited;
    expect(devsup.matching(/teardown left open/)).toEqual([
      // (and the pool's idle timer, which would end the connection only after idleTimeoutMillis)
      expect.stringMatching(new RegExp(`^\\[devsup\\] teardown left open: socket 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${dbPort}, 1 timer — is a cleanup missing\\?$`)),
    ]);
  });
});
