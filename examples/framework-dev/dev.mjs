#!/usr/bin/env node
// `mini dev`: the dev command of a made-up framework, built on devsup's embedding API. The framework keeps its own
// watcher and its own build (here: "compiling" app/routes.json into .mini/routes.mjs), and leaves to devsup what a
// dev command gets wrong on its own: the old server's cleanups run before the new one starts, never two at once, and
// only the changes the running app actually loaded restart it.
//   node examples/framework-dev/dev.mjs            (PORT=3000 by default; edit app/*; Ctrl-C to stop)
import { watch } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, createSupervisor } from 'devsup';

const root = join(import.meta.dirname, 'app');

// The framework's build step: a function, run by devsup before each start, once the old server is gone. A throw
// starts nothing; devsup shows the error and the next change tries again.
async function build() {
  const routes = JSON.parse(await readFile(join(root, 'routes.json'), 'utf8')); // a syntax error fails the build
  await mkdir(join(root, '.mini'), { recursive: true });
  await writeFile(join(root, '.mini/routes.mjs'), `export default ${JSON.stringify(routes)};\n`);
}

const supervisor = createSupervisor(
  {
    entry: join(root, 'server.mjs'),
    cwd: root,
    watch: false, // the framework watches: devsup runs no watcher of its own
    stdio: 'pipe', // the framework shows the app's output its own way
    build,
    stopTimeout: 3000,
    env: { PORT: process.env.PORT ?? '3000' },
  },
  { logger: createLogger({ format: 'human', level: process.env.MINI_VERBOSE ? 'debug' : 'info' }) },
);

for (const [stream, out] of [[supervisor.stdout, process.stdout], [supervisor.stderr, process.stderr]]) {
  stream.on('data', (chunk) => out.write(chunk.toString().replace(/^(?=.)/gm, '[app] ')));
}
supervisor.on('ready', ({ ms }) => console.log(`[mini] ready in ${ms} ms`));
supervisor.on('buildFailed', () => console.log('[mini] fix the error above; the next save tries again'));

// The framework's watcher: routes.json is the build's input (restart, whatever the app loaded); any other save goes
// to notify(), and devsup restarts only if the running app loaded that file.
watch(root, { recursive: true }, (_event, file) => {
  if (!file || file.startsWith('.mini')) return;
  const path = join(root, file);
  if (file === 'routes.json') void supervisor.restart({ reason: 'routes.json changed', paths: [path] }).catch(() => {});
  else void supervisor.notify([path]).catch(() => {});
});

let stops = 0;
process.on('SIGINT', () => void supervisor.close({ force: ++stops > 1 }));
supervisor.once('closed', ({ exitCode }) => process.exit(exitCode));
await supervisor.start().catch(() => {}); // a failed first build waits for a save, as later ones do
