// The framework app: serves the routes the build compiled, with a greeting from lib.mjs.
import { createServer } from 'node:http';
import { onShutdown, ready } from 'devsup/child';
import greeting from './lib.mjs';
import routes from './.mini/routes.mjs';

const server = createServer((req, res) => res.end(`${greeting} ${routes[req.url ?? '/'] ?? 'not found'}\n`));
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${process.env.PORT} (${Object.keys(routes).length} routes)`);
  ready();
});
onShutdown('http server', () => new Promise((resolve) => server.close(() => resolve())));
