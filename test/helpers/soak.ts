// The soak run, shared by `npm run soak` (1,000 restarts) and its short form in the test suite (100).
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { processGone } from '../../src/child/liveness.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface SoakResult {
  restarts: number;
  ms: number;
  surviving: number;
  addressInUse: number;
  overlaps: number;
  fds: { after50: number; end: number };
  rssMB: { after50: number; end: number };
  /** RSS every 100 restarts, to tell a leak (steady growth) from a heap settling. */
  rssSamplesMB: number[];
  ok: boolean;
}

interface Event {
  event: string;
  pid: number;
  version?: number;
  grandchild?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number) => !processGone(pid);

const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const rssMB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 102.4) / 10;

// A leak is memory that stays. Right after a burst of restarts RSS also holds garbage V8 has not collected yet (its
// young generation grows and shrinks by several MB): both points are measured the same way, as the lowest RSS over
// 3 s of quiet, so that the comparison is of what devsup keeps.
async function settled(pid: number): Promise<{ fds: number; rss: number }> {
  let rss = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 12; i++) {
    await sleep(250);
    rss = Math.min(rss, rssMB(pid));
  }
  return { fds: fdCount(pid), rss };
}

async function freePort(): Promise<number> {
  return new Promise((ok) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export async function runSoak(options: { restarts: number; progress?: (n: number) => unknown }): Promise<SoakResult> {
  const dir = mkdtempSync(join(tmpdir(), 'devsup-soak-'));
  const eventsFile = `${dir}.events.jsonl`;
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/devsup'), 'junction');
  copyFileSync(join(ROOT, 'fixtures/soak-app.mjs'), join(dir, 'app.mjs'));
  copyFileSync(join(ROOT, 'fixtures/record.mjs'), join(dir, 'record.mjs'));
  writeFileSync(join(dir, 'version.mjs'), 'export default 0;\n');
  writeFileSync(eventsFile, '');

  const events: Event[] = [];
  let offset = 0;
  const fd = openSync(eventsFile, 'r');
  const read = () => {
    const buffer = Buffer.alloc(1 << 16);
    let pending = '';
    for (let n = readSync(fd, buffer, 0, buffer.length, offset); n > 0; n = readSync(fd, buffer, 0, buffer.length, offset)) {
      offset += n;
      pending += buffer.subarray(0, n).toString();
    }
    const lines = pending.split('\n');
    offset -= Buffer.byteLength(lines.pop() ?? ''); // an unfinished line is read again next time
    for (const line of lines) if (line) events.push(JSON.parse(line) as Event);
  };
  const waitFor = async (what: string, check: () => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`);
      await sleep(5);
      read();
    }
  };

  // SOAK_NODE_ARGS: node options for devsup itself while diagnosing (e.g. --expose-gc --heapsnapshot-signal=SIGUSR2).
  const nodeArgs = process.env.SOAK_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const devsup = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/cli/main.js'), 'run', 'app.mjs', '--quiet'], {
    cwd: dir,
    env: { ...process.env, EVENTS: eventsFile, PORT: String(await freePort()) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const started = Date.now();
  let after50 = { fds: 0, rss: 0 };
  const samples: number[] = [];
  try {
    await waitFor('the first start', () => events.some((e) => e.event === 'listening' && e.version === 0));
    await sleep(300); // the watcher's first scan
    for (let version = 1; version <= options.restarts; version++) {
      writeFileSync(join(dir, 'version.mjs'), `export default ${version};\n`);
      await waitFor(`version ${version}`, () => events.at(-1)?.event === 'listening' && events.at(-1)?.version === version);
      if (version === 50) after50 = await settled(devsup.pid!);
      if (version % 100 === 0) samples.push(rssMB(devsup.pid!));
      options.progress?.(version);
    }
    const end = await settled(devsup.pid!);
    const ms = Date.now() - started;
    devsup.kill('SIGINT');
    await new Promise((ok) => devsup.once('exit', ok));
    read();

    const pids = events.flatMap((e) => [e.pid, e.grandchild].filter((p): p is number => typeof p === 'number'));
    const surviving = [...new Set(pids)].filter(alive).length;
    const addressInUse = events.filter((e) => e.event === 'listen-error').length;
    // No two children at once: each start comes after the previous child's exit, in the order they were written.
    let overlaps = 0;
    let running: number | undefined;
    for (const e of events) {
      if (e.event === 'start') {
        if (running !== undefined) overlaps += 1;
        running = e.pid;
      } else if (e.event === 'exit' && e.pid === running) {
        running = undefined;
      }
    }
    const within = (a: number, b: number) => b <= a * 1.1;
    const ok = surviving === 0 && addressInUse === 0 && overlaps === 0 && within(after50.fds, end.fds) && within(after50.rss, end.rss);
    return {
      restarts: options.restarts,
      ms,
      surviving,
      addressInUse,
      overlaps,
      fds: { after50: after50.fds, end: end.fds },
      rssMB: { after50: after50.rss, end: end.rss },
      rssSamplesMB: samples,
      ok,
    };
  } finally {
    if (devsup.exitCode === null) devsup.kill('SIGKILL');
    for (const e of events) for (const pid of [e.pid, e.grandchild]) if (typeof pid === 'number' && alive(pid)) process.kill(pid, 'SIGKILL');
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    rmSync(eventsFile, { force: true });
  }
}
