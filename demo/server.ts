// The bundled demo: an HTTP server with two named cleanups, one of them slow. Run `npm run demo`, then edit this
// file (change the greeting) and watch devsup tear the old server down before it starts the new one.
import { createServer } from 'node:http';
import { onShutdown, ready } from 'devsup/child';
import { connect } from './db.js';

const greeting = 'hello from the devsup demo';
const port = Number(process.env.PORT ?? 3000);

const pool = await connect();
onShutdown('db pool', () => pool.end(), { timeoutMs: 2000 });

const server = createServer(async (_req, res) => {
  res.end(`${greeting}: ${await pool.query('select 1')}\n`);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`demo listening on http://127.0.0.1:${port}`);
  ready();
});
onShutdown('http server', () => new Promise<void>((resolve) => {
  server.close(() => resolve());
  // close() waits for every open connection, and a keep-alive client (a browser, fetch) may never close its own.
  server.closeAllConnections();
}));
