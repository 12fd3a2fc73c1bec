// Services latency: from a save of a module that two services load (api, and worker which depends on api) to both
// serving the new version, against the same save with one service alone (plain devsup, no services). Real processes,
// dist/ (npm run build first). Prints the median and range of N saves each.
//   node bench/services.mjs [saves=15]
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SAVES = Number(process.argv[2] ?? 15);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = () => new Promise((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port: p } = s.address(); s.close(() => ok(p)); }); });

async function project(services) {
  const dir = mkdtempSync(join(tmpdir(), 'devsup-bench-services-'));
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/devsup'));
  for (const f of ['svc-app.mjs', 'record.mjs']) copyFileSync(join(ROOT, 'fixtures', f), join(dir, f));
  for (const m of ['shared', 'api-private', 'worker-private']) writeFileSync(join(dir, `${m}.mjs`), 'export default 0;\n');
  const [a, w] = [await port(), await port()];
  const api = { entry: 'svc-app.mjs', env: { SERVICE: 'api', MODULES: 'shared,api-private', PORT: String(a), CLEANUP_MS: '0' } };
  const worker = { entry: 'svc-app.mjs', dependsOn: ['api'], env: { SERVICE: 'worker', MODULES: 'shared,worker-private', PORT: String(w), DEPENDS_PORT: String(a), CLEANUP_MS: '0' } };
  const config = services ? { services: { api, worker } } : api;
  writeFileSync(join(dir, 'supervisor.config.mjs'), `export default ${JSON.stringify(config)};\n`);
  return dir;
}

const events = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function measure(services, module = 'shared', want = services ? 2 : 1) {
  const dir = await project(services);
  const file = `${dir}.events.jsonl`;
  writeFileSync(file, '');
  const devsup = spawn(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run'], { cwd: dir, env: { ...process.env, EVENTS: file }, stdio: ['pipe', 'ignore', 'ignore'] });
  const listening = () => events(file).filter((e) => e.event === 'listening');
  const until = async (n) => { const end = Date.now() + 30_000; while (listening().length < n) { if (Date.now() > end) throw new Error('timeout'); await sleep(5); } };
  await until(want);
  await sleep(1500); // the watchers' initial scan, the standby booted
  const times = [];
  for (let i = 1; i <= SAVES; i++) {
    const before = listening().length;
    const at = Date.now();
    writeFileSync(join(dir, `${module}.mjs`), `export default ${i};\n`);
    await until(before + want);
    const last = listening().slice(before).filter((e) => e.versions[module] === i);
    if (last.length !== want) throw new Error(`save ${i}: ${last.length} of ${want} services have it`);
    times.push(Math.max(...last.map((e) => e.t)) - at);
    await sleep(700);
  }
  devsup.kill('SIGINT');
  await new Promise((r) => devsup.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
  rmSync(file, { force: true });
  times.sort((x, y) => x - y);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times.at(-1) };
}

const one = await measure(false);
const two = await measure(true);
const private_ = await measure(true, 'worker-private', 1);
console.log(`a save → serving the new version (ms, ${SAVES} saves each; cleanups 0 ms)`);
console.log(`shared.mjs, one service alone (plain devsup):         median ${one.median}  (min ${one.min}, max ${one.max})`);
console.log(`shared.mjs, api + worker (worker dependsOn api):       median ${two.median}  (min ${two.min}, max ${two.max})`);
console.log(`worker-private.mjs, the worker alone in a services run: median ${private_.median}  (min ${private_.min}, max ${private_.max})`);
