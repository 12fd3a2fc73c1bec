#!/usr/bin/env node
// devsup benchmark: devsup against nodemon, tsx watch and node --watch on the same generated fixtures, timed from the
// outside (HTTP answers and the app's own event log). `npm run bench` (5 rounds), `npm run bench -- --quick`
// (2 rounds), `--large` adds the 100,000-file idle project. See bench/README.md.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateFixtures, BURST_MODULES } from './lib/fixtures.mjs';
import { freePort, waitForAnswer } from './lib/http.mjs';
import { startTraffic } from './lib/traffic.mjs';
import { cpuSnapshot, killAllSync, killTree, rssOf, sleep, startTool, toolProcesses, wall } from './lib/proc.mjs';
import { fmt, fmtStats, ratio, summarize, table } from './lib/report.mjs';

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
const BENCH = join(REPO, 'bench');

// ---------------------------------------------------------------------------------------------------------------
// Options

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    large: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    edits: { type: 'string' },
    gap: { type: 'string' },
    only: { type: 'string' },
    tools: { type: 'string' },
    'burst-cleanup': { type: 'string' },
    'request-restarts': { type: 'string' },
    out: { type: 'string' },
    dist: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opts.help) {
  process.stdout.write(`npm run bench [-- options]
  --quick              2 rounds of each scenario (smoke test); default 5
  --large              also the idle scenario on a 100,000-file project (slow)
  --rounds <n>         rounds of each scenario
  --edits <n>          edits per restart-latency session (default 2)
  --gap <ms>           wait after the previous version is served before the next edit (default 700)
  --only <list>        scenarios to run, comma-separated: latency,burst,idle,requests (default all)
  --tools <list>       tools to run (default all): devsup,devsup-socket,nodemon,nodemon-sigterm,node-watch,tsx,nodemon-tsx
  --request-restarts <n> restarts per tool in the requests scenario (default 10; --quick 5)
  --burst-cleanup <ms> CLEANUP_MS of the app in the burst scenario (default 0)
  --out <file>         the JSON results (default bench/results.json)
  --dist <dir>         the devsup build to measure (default dist/; copied to bench/.dist-snapshot for the run)
`);
  process.exit(0);
}
const positiveInt = (name, value, fallback) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`bench: --${name} must be a non-negative integer, got ${JSON.stringify(value)}\n`);
    process.exit(2);
  }
  return n;
};
const ROUNDS = positiveInt('rounds', opts.rounds, opts.quick ? 2 : 5);
const EDITS = positiveInt('edits', opts.edits, 2);
const GAP_MS = positiveInt('gap', opts.gap, 700);
const BURST_CLEANUP_MS = positiveInt('burst-cleanup', opts['burst-cleanup'], 0);
const REQUEST_RESTARTS = positiveInt('request-restarts', opts['request-restarts'], opts.quick ? 5 : 10);
const SCENARIOS = new Set((opts.only ?? 'latency,burst,idle,requests').split(',').map((s) => s.trim()));
for (const s of SCENARIOS) {
  if (!['latency', 'burst', 'idle', 'requests'].includes(s)) {
    process.stderr.write(`bench: unknown scenario ${s} in --only (latency, burst, idle, requests)\n`);
    process.exit(2);
  }
}
const OUT = opts.out ?? join(BENCH, 'results.json');

const CLEANUPS = [0, 300];
const START_TIMEOUT_MS = 20_000; // launch → first answer (small projects)
const BIG_START_TIMEOUT_MS = 120_000; // launch → first answer (10k / 100k files)
const EDIT_TIMEOUT_MS = 10_000; // edit → new version answers
const IDLE_SETTLE_MS = 3_000; // after the first answer, before RSS
const IDLE_CPU_MS = 5_000; // the idle window whose CPU time is measured
const QUIET_SAMPLE_MS = 250; // idle starts once the tool's processes used < 5% of a core over QUIET_WINDOW_MS
const QUIET_WINDOW_MS = 500;
const QUIET_TIMEOUT_MS = 120_000;
const BURST_SPACING_MS = 2; // 50 writes, one every 2 ms: the burst lasts ~100 ms
const BURST_TAIL_MS = 1_000; // after the final version answers: watch for further (needless) restarts
const REQUEST_EVERY_MS = 10; // requests scenario: a fresh connection this often
const REQUEST_TIMEOUT_MS = 5_000; // … each given this long to be answered
const REQUEST_CLEANUP_MS = 300; // … of an app with this cleanup
const RUN_DEADLINE_MS = (opts.large ? 60 : 30) * 60_000; // the whole run, whatever happens

// ---------------------------------------------------------------------------------------------------------------
// Tools

const NODE = process.execPath;
const NODEMON = join(REPO, 'node_modules', 'nodemon', 'bin', 'nodemon.js');
const TSX_CLI = join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const TSX_LOADER = import.meta.resolve('tsx');
const DIST = opts.dist ? resolvePath(opts.dist) : join(REPO, 'dist');
// devsup runs from a snapshot of dist/ taken at the start, so that a rebuild meanwhile (npm test builds) cannot
// change or break it mid-run. It lives under bench/ so that its imports still resolve in the repo's node_modules.
const SNAPSHOT = join(BENCH, '.dist-snapshot');
const DEVSUP_CLI = join(SNAPSHOT, 'cli', 'main.js');

const TOOLS = {
  devsup: { id: 'devsup', label: 'devsup', langs: ['js', 'ts'], cmd: (entry) => [DEVSUP_CLI, 'run', entry, '--quiet'] },
  'devsup-socket': {
    id: 'devsup-socket',
    label: 'devsup --socket',
    langs: ['js', 'ts'],
    extra: true,
    cmd: (entry, port) => [DEVSUP_CLI, 'run', entry, '--quiet', '--socket', `127.0.0.1:${port}`],
  },
  nodemon: { id: 'nodemon', label: 'nodemon', langs: ['js'], cmd: (entry) => [NODEMON, entry] },
  'nodemon-sigterm': {
    id: 'nodemon-sigterm',
    label: 'nodemon --signal SIGTERM',
    langs: ['js'],
    extra: true,
    cmd: (entry) => [NODEMON, '--signal', 'SIGTERM', entry],
  },
  'node-watch': { id: 'node-watch', label: 'node --watch', langs: ['js'], cmd: (entry) => ['--watch', entry] },
  tsx: { id: 'tsx', label: 'tsx watch', langs: ['ts'], cmd: (entry) => [TSX_CLI, 'watch', entry] },
  'nodemon-tsx': {
    id: 'nodemon-tsx',
    label: 'nodemon --exec "node --import tsx"',
    langs: ['ts'],
    extra: true,
    cmd: (entry) => [NODEMON, '--ext', 'ts,js,json', '--exec', `node --import ${TSX_LOADER}`, entry],
  },
};
const SELECTED = new Set((opts.tools ?? Object.keys(TOOLS).join(',')).split(',').map((s) => s.trim()));
for (const t of SELECTED) {
  if (!TOOLS[t]) {
    process.stderr.write(`bench: unknown tool ${t} in --tools (${Object.keys(TOOLS).join(', ')})\n`);
    process.exit(2);
  }
}
const pick = (ids) => ids.filter((t) => SELECTED.has(t));
const LATENCY_TOOLS = { js: pick(['devsup', 'nodemon', 'nodemon-sigterm', 'node-watch']), ts: pick(['devsup', 'tsx', 'nodemon-tsx']) };
const BURST_TOOLS = { js: pick(['devsup', 'nodemon', 'node-watch']), ts: pick(['devsup', 'tsx', 'nodemon-tsx']) };
const IDLE_TOOLS = [
  ['devsup', 'js'],
  ['nodemon', 'js'],
  ['node-watch', 'js'],
  ['devsup', 'ts'],
  ['tsx', 'ts'],
].filter(([t]) => SELECTED.has(t));
const REQUEST_TOOLS = { js: pick(['devsup', 'devsup-socket', 'nodemon', 'nodemon-sigterm', 'node-watch']), ts: pick(['devsup', 'devsup-socket', 'tsx', 'nodemon-tsx']) };
const PEERS = { js: ['nodemon', 'nodemon-sigterm', 'node-watch'], ts: ['tsx', 'nodemon-tsx'] };

/** The same list, rotated by `round`: no tool always goes first. */
const rotate = (list, round) => list.map((_, i) => list[(i + round) % list.length]);

// ---------------------------------------------------------------------------------------------------------------
// Safety: every process started is killed, on every way out.

let fx; // the fixtures
let keepFixtures = false;
process.on('exit', () => {
  killAllSync();
  rmSync(SNAPSHOT, { recursive: true, force: true });
  // The fixtures go; they and the tools' logs are kept only when a measurement failed.
  if (fx && !keepFixtures) rmSync(fx.root, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}: killing every process it started\n`);
    process.exit(130);
  });
}
const watchdog = setTimeout(() => {
  process.stderr.write(`bench: the run exceeded ${RUN_DEADLINE_MS / 60_000} min; stopping\n`);
  process.exit(3);
}, RUN_DEADLINE_MS);
watchdog.unref();

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const progress = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// Sessions: one tool on one fixture, from launch to the kill of its tree.

const baseEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
delete baseEnv.NODE_OPTIONS; // the harness's own (if any) must not reach the tools
for (const key of Object.keys(baseEnv)) if (key.startsWith('npm_') || key.startsWith('DEVSUP_')) delete baseEnv[key];

let sessionCount = 0;
const failures = [];

function readEvents(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line being written
    }
  }
  return out;
}

/** The app processes of a session, in start order, with their events. */
function appProcesses(events) {
  const byPid = new Map();
  for (const e of events) {
    if (!byPid.has(e.pid)) byPid.set(e.pid, { pid: e.pid, origin: undefined, listenErrors: [] });
    const p = byPid.get(e.pid);
    switch (e.ev) {
      case 'start':
        p.origin = e.origin;
        p.startT = e.t;
        p.version = e.version;
        break;
      case 'listening':
        p.listening ??= e.t;
        break;
      case 'listen-error':
        p.listenErrors.push(e);
        break;
      case 'cleanup-start':
        p.cleanupStart = e.t;
        p.signal = e.signal;
        break;
      case 'cleanup-end':
        p.cleanupEnd = e.t;
        break;
      case 'exit':
        p.exit = e.t;
        break;
    }
  }
  // In the order their app code started (startT): a standby's process exists before the old app is gone, but runs
  // nothing of the app until then.
  return [...byPid.values()].filter((p) => p.origin !== undefined).sort((a, b) => a.startT - b.startT);
}

async function session({ tool, lang, app, cwd, cleanupMs, label, startTimeoutMs = START_TIMEOUT_MS, body }) {
  const id = ++sessionCount;
  const port = await freePort();
  const events = join(fx.events, `${id}-${tool.id}-${lang}.jsonl`);
  writeFileSync(events, '');
  const logFile = join(fx.logs, `${id}-${tool.id}-${lang}-${label}.log`);
  const args = tool.cmd(app.entry, port);
  const handle = startTool({
    command: NODE,
    args,
    cwd,
    env: { ...baseEnv, PORT: String(port), EVENTS: events, CLEANUP_MS: String(cleanupMs) },
    logFile,
  });
  const ctx = {
    id,
    port,
    handle,
    aborted: false,
    /** Whether to stop waiting: the tool is gone, or the session ran out of time (its body must not go on editing). */
    over: () => handle.exited || ctx.aborted,
    check: () => {
      if (ctx.aborted) throw new Error('session aborted');
    },
    events: () => readEvents(events),
    first: async (accept) => {
      const got = await waitForAnswer(port, accept, { timeoutMs: startTimeoutMs, shouldStop: () => ctx.over() });
      if (!got) throw new Error(`no first answer within ${startTimeoutMs} ms${handle.exited ? ` (the tool exited: ${JSON.stringify(handle.exit)})` : ''}`);
      return got;
    },
  };
  const budget = startTimeoutMs + 60_000;
  let result;
  try {
    result = await withTimeout(body(ctx), budget, `${label} ${tool.id}`);
  } catch (error) {
    ctx.aborted = true;
    result = { ...(error.partial ?? {}), error: error.message };
    failures.push({ session: id, tool: tool.id, lang, label, error: error.message, log: logFile });
    progress(`  ! ${label} ${tool.label} (${lang}): ${error.message} — log: ${logFile}`);
  } finally {
    const appPids = appProcesses(readEvents(events)).map((p) => p.pid);
    handle.appPids = appPids;
    const gone = await killTree(handle, appPids);
    if (!gone) progress(`  ! could not confirm that every process of session ${id} is gone`);
  }
  result.session = id;
  result.processes = appProcesses(readEvents(events));
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario 1–3: restart latency, first start, teardown correctness.

async function latencySession(toolId, lang, cleanupMs, round) {
  const tool = TOOLS[toolId];
  const app = fx.basic[lang];
  const tag = `r${round}-${toolId}-${lang}-c${cleanupMs}`;
  const v0 = `${tag}-v0`;
  app.setVersion(v0);
  const r = await session({
    tool,
    lang,
    app,
    cwd: app.dir,
    cleanupMs,
    label: `latency-c${cleanupMs}`,
    body: async ({ handle, port, first, events, over, check }) => {
      const out = { edits: [] };
      const got = await first((b) => b === v0);
      out.firstStartMs = got.t - handle.spawnedAt;
      // The tool's own start: launch → the app's process exists (its performance.timeOrigin).
      const firstApp = appProcesses(events())[0];
      out.toolStartMs = firstApp ? firstApp.origin - handle.spawnedAt : null;
      let servedAt = got.t;
      for (let i = 1; i <= EDITS; i++) {
        await sleep(servedAt + GAP_MS - wall());
        check();
        const version = `${tag}-v${i}`;
        const writeAt = wall();
        app.setVersion(version);
        const ans = await waitForAnswer(port, (b) => b === version, { timeoutMs: EDIT_TIMEOUT_MS, shouldStop: over });
        out.edits.push({ version, writeAt, answeredAt: ans?.t ?? null, ms: ans ? ans.t - writeAt : null });
        if (!ans) throw Object.assign(new Error(`edit ${i}: the new version did not answer within ${EDIT_TIMEOUT_MS} ms`), { partial: out });
        servedAt = ans.t;
      }
      // A tool that starts the new app before the old one's cleanup ended: give that cleanup time to log its end.
      await sleep(cleanupMs + 150);
      return out;
    },
  });
  analyzeEdits(r);
  return { tool: toolId, lang, cleanupMs, round, ...r };
}

/** Per edit: which process was old, which new, did the old one's cleanup end before the new one existed, … */
function analyzeEdits(r) {
  if (!r.edits) return;
  const procs = r.processes;
  r.edits.forEach((edit, i) => {
    const until = r.edits[i + 1]?.writeAt ?? Infinity;
    const old = [...procs].reverse().find((p) => p.startT < edit.writeAt);
    const started = procs.filter((p) => p.startT >= edit.writeAt && p.startT < until);
    const next = started[0];
    const served = edit.answeredAt === null ? undefined : [...started].reverse().find((p) => p.startT <= edit.answeredAt);
    edit.starts = started.length;
    edit.oldPid = old?.pid;
    edit.newPid = next?.pid;
    edit.cleanupRan = old?.cleanupEnd !== undefined;
    // "Start" is the new app's code starting to run: what must not overlap the old app.
    edit.cleanupDoneBeforeNewStart = Boolean(old?.cleanupEnd !== undefined && next && old.cleanupEnd <= next.startT);
    edit.oldExitedBeforeNewStart = Boolean(old?.exit !== undefined && next && old.exit <= next.startT);
    // A process that existed before the old app exited was booted ahead (devsup's standby).
    edit.bootedAhead = Boolean(old?.exit !== undefined && next && next.origin < old.exit);
    edit.signal = old?.signal ?? null;
    edit.eaddrinuseStarts = started.filter((p) => p.listenErrors.some((e) => e.code === 'EADDRINUSE')).length;
    edit.eaddrinuseErrors = started.reduce((n, p) => n + p.listenErrors.filter((e) => e.code === 'EADDRINUSE').length, 0);
    // Where the time went (ms).
    edit.phases = {
      toSignal: old?.cleanupStart !== undefined ? old.cleanupStart - edit.writeAt : null,
      cleanupAndExit: old?.cleanupStart !== undefined && old.exit !== undefined ? old.exit - old.cleanupStart : null,
      exitToNewProcess: old?.exit !== undefined && next ? next.startT - old.exit : null,
      toNewProcess: next ? next.startT - edit.writeAt : null,
      // The runtime's own boot (node, loaders) before the app's code; hidden behind the teardown when booted ahead.
      runtime: next ? next.startT - next.origin : null,
      boot: served?.listening !== undefined ? served.listening - served.startT : null,
      answer: served?.listening !== undefined && edit.answeredAt !== null ? edit.answeredAt - served.listening : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario 4: burst.

async function burstSession(toolId, lang, round) {
  const tool = TOOLS[toolId];
  const app = fx.burst[lang];
  const v0 = `r${round}-${toolId}-${lang}-burst`;
  app.setVersion(v0);
  for (const f of app.modFiles) writeFileSync(f, app.modSource('b0'));
  const tag = `b${round}x`;
  const r = await session({
    tool,
    lang,
    app,
    cwd: app.dir,
    cleanupMs: BURST_CLEANUP_MS,
    label: 'burst',
    body: async ({ handle, port, first, events, over, check }) => {
      const got = await first((b) => b === `${v0}:b0:${BURST_MODULES}`);
      await sleep(got.t + GAP_MS - wall());
      check();
      const firstWrite = wall();
      for (let i = 0; i < app.modFiles.length; i++) {
        writeFileSync(app.modFiles[i], app.modSource(tag));
        if (i < app.modFiles.length - 1) await sleep(firstWrite + (i + 1) * BURST_SPACING_MS - wall());
      }
      const lastWrite = wall();
      const want = `${v0}:${tag}:${BURST_MODULES}`;
      const ans = await waitForAnswer(port, (b) => b === want, { timeoutMs: EDIT_TIMEOUT_MS, shouldStop: over });
      if (!ans) throw new Error(`the final version did not answer within ${EDIT_TIMEOUT_MS} ms of the last write`);
      await sleep(BURST_TAIL_MS);
      const procs = appProcesses(events());
      const started = procs.filter((p) => p.startT >= firstWrite);
      return {
        burstMs: lastWrite - firstWrite,
        ms: ans.t - lastWrite,
        starts: started.length,
        startsAfterFinal: started.filter((p) => p.startT > ans.t).length,
        eaddrinuseStarts: started.filter((p) => p.listenErrors.some((e) => e.code === 'EADDRINUSE')).length,
      };
    },
  });
  return { tool: toolId, lang, round, cleanupMs: BURST_CLEANUP_MS, ...r };
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario 6: requests during restarts — a fresh connection every 10 ms through a series of restarts.

async function requestsSession(toolId, lang) {
  const tool = TOOLS[toolId];
  const app = fx.basic[lang];
  const tag = `q-${toolId}-${lang}`;
  app.setVersion(`${tag}-v0`);
  const r = await session({
    tool,
    lang,
    app,
    cwd: app.dir,
    cleanupMs: REQUEST_CLEANUP_MS,
    label: 'requests',
    body: async ({ port, first, over, check }) => {
      const got = await first((b) => b === `${tag}-v0`);
      await sleep(got.t + GAP_MS - wall());
      const client = startTraffic(port, { everyMs: REQUEST_EVERY_MS, timeoutMs: REQUEST_TIMEOUT_MS });
      let failure;
      try {
        for (let i = 1; i <= REQUEST_RESTARTS; i++) {
          check();
          const version = `${tag}-v${i}`;
          app.setVersion(version);
          // The traffic itself says when the new version serves (a probe of our own would add requests).
          const deadline = wall() + EDIT_TIMEOUT_MS;
          while (!client.traffic.bodies.has(version) && wall() < deadline && !over()) await sleep(5);
          if (!client.traffic.bodies.has(version)) throw new Error(`restart ${i}: the new version did not answer within ${EDIT_TIMEOUT_MS} ms`);
          await sleep(GAP_MS);
        }
      } catch (error) {
        failure = error;
      }
      const { sent, answered, failed } = await client.stop();
      const out = { restarts: REQUEST_RESTARTS, sent, answered, failed };
      if (failure) throw Object.assign(failure, { partial: out });
      return out;
    },
  });
  return { tool: toolId, lang, cleanupMs: REQUEST_CLEANUP_MS, ...r };
}

// ---------------------------------------------------------------------------------------------------------------
// Scenario 5: idle cost on a big project.

async function idleSession(big, toolId, lang, round) {
  const tool = TOOLS[toolId];
  const app = big[lang];
  const v0 = `r${round}-${toolId}-${lang}-idle`;
  app.setVersion(v0);
  const r = await session({
    tool,
    lang,
    app,
    cwd: big.dir,
    cleanupMs: 0,
    label: `idle-${big.files}`,
    startTimeoutMs: BIG_START_TIMEOUT_MS,
    body: async ({ handle, port, first, events, over, check }) => {
      const got = await first((b) => b === v0);
      const firstAnswerMs = got.t - handle.spawnedAt;
      // Idle means the initial scan is over: wait until the tool's processes used < 5% of a core over the last
      // 500 ms (sampled every 250 ms); RSS is taken IDLE_SETTLE_MS after the first answer, or then if later.
      const toolNow = () => toolProcesses(handle.pid, appProcesses(events()).map((p) => p.pid));
      const total = (snap) => [...snap.values()].reduce((a, b) => a + b, 0);
      const samples = [];
      let quietAt = null;
      const quietDeadline = wall() + QUIET_TIMEOUT_MS;
      while (wall() < quietDeadline && !over()) {
        const procsNow = toolNow();
        const snap = cpuSnapshot(procsNow);
        const t = wall();
        samples.push({ t, snap });
        const back = samples.find((x) => x.t >= t - QUIET_WINDOW_MS - 10);
        if (back && back !== samples.at(-1) && t - back.t >= QUIET_WINDOW_MS - 10) {
          let used = 0;
          for (const [key, ms] of snap) used += ms - (back.snap.get(key) ?? 0);
          if (used < 0.05 * (t - back.t)) {
            quietAt = t;
            break;
          }
        }
        await sleep(QUIET_SAMPLE_MS);
      }
      check();
      await sleep(got.t + IDLE_SETTLE_MS - wall());
      const procs = toolNow();
      const rss = procs.reduce((n, p) => n + rssOf(p.pid), 0);
      // The launched process alone: the supervisor, without what it keeps beside the app (devsup's standby).
      const rootRss = rssOf(handle.pid);
      const cpu0 = cpuSnapshot(procs);
      const cpuToNow = total(cpu0);
      await sleep(IDLE_CPU_MS);
      const procs1 = toolProcesses(handle.pid, appProcesses(events()).map((p) => p.pid));
      const cpu1 = cpuSnapshot(procs1);
      let idleCpu = 0;
      for (const [key, ms] of cpu1) idleCpu += ms - (cpu0.get(key) ?? 0);
      const rssEnd = procs1.reduce((n, p) => n + rssOf(p.pid), 0);
      // Does the tool still notice a change in the big project? (one edit, after the idle window)
      check();
      const version = `${v0}-edit`;
      const writeAt = wall();
      app.setVersion(version);
      const ans = await waitForAnswer(port, (b) => b === version, { timeoutMs: EDIT_TIMEOUT_MS, shouldStop: over });
      return {
        firstAnswerMs,
        quietMs: quietAt === null ? null : quietAt - handle.spawnedAt,
        rssMB: rss / 2 ** 20,
        rootRssMB: rootRss / 2 ** 20,
        rssEndMB: rssEnd / 2 ** 20,
        toolProcesses: procs.map((p) => ({ pid: p.pid, comm: p.comm })),
        cpuStartupMs: cpuToNow,
        idleCpuMs: idleCpu,
        restartMs: ans ? ans.t - writeAt : null,
      };
    },
  });
  return { tool: toolId, lang, files: big.files, nodeModulesFiles: big.nodeModulesFiles, round, ...r };
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function header() {
  const cpu = os.cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' (src/ has uncommitted changes)';
  } catch {
    // not a git checkout
  }
  const version = (pkg) => JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.platform()} ${os.release()}`,
      loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    node: process.version,
    devsup: { commit, distDir: DIST, dist: new Date(statSync(join(DIST, 'cli', 'main.js')).mtimeMs).toISOString() },
    tools: { nodemon: version('nodemon'), tsx: version('tsx') },
    options: { tools: [...SELECTED], rounds: ROUNDS, editsPerSession: EDITS, gapMs: GAP_MS, burstCleanupMs: BURST_CLEANUP_MS, large: opts.large, scenarios: [...SCENARIOS] },
  };
}

const label = (id) => TOOLS[id].label;

function groupBy(rows, key) {
  const map = new Map();
  for (const r of rows) {
    const k = key(r);
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(r);
  }
  return map;
}

/**
 * Rows of tools with a median each, devsup first, then its peers with the ratio devsup ÷ peer. `rowsFor(tool)`
 * returns the cells before the stats; `values(tool)` the samples.
 */
function statRows(lang, toolIds, values, prefix, digits = 0) {
  const sorted = [...toolIds.filter((t) => t === 'devsup'), ...toolIds.filter((t) => t !== 'devsup')];
  const devsup = summarize(values('devsup'));
  return sorted.map((t) => {
    const s = summarize(values(t));
    const f = fmtStats(s, digits);
    return [...prefix, label(t), f.median, f.range, f.n, t === 'devsup' ? '' : ratio(devsup.median, s.median)];
  });
}

function report(results) {
  const out = [];
  const h = results.header;
  out.push(`# devsup benchmark`);
  out.push('');
  out.push(`- date: ${h.date}`);
  out.push(`- machine: ${h.machine.cpu}, ${h.machine.cores} cores, ${h.machine.memoryGiB} GiB, ${h.machine.platform}; load average at start ${h.machine.loadavgAtStart.join(' ')}`);
  out.push(`- Node ${h.node}; devsup ${h.devsup.distDir === join(REPO, 'dist') ? `${h.devsup.commit} (dist/ built ${h.devsup.dist})` : `from ${h.devsup.distDir} (built ${h.devsup.dist}; repo at ${h.devsup.commit})`}; nodemon ${h.tools.nodemon}; tsx ${h.tools.tsx}`);
  out.push(`- ${h.options.rounds} rounds, tools alternating within each round; ${h.options.editsPerSession} edits per latency session, ${h.options.gapMs} ms after the previous version answered`);
  out.push('');

  const lat = results.latency;
  // Every edit of one tool on one entry language and cleanup, across sessions.
  const editsOf = (lang, c, t) => lat.filter((r) => r.lang === lang && r.cleanupMs === c && r.tool === t).flatMap((r) => r.edits ?? []);
  // Every (entry, cleanup, tool) of the latency scenario, in report order, with its edits.
  function* latencyCells() {
    for (const lang of ['js', 'ts']) {
      for (const c of CLEANUPS) for (const t of LATENCY_TOOLS[lang]) yield { lang, c, t, edits: editsOf(lang, c, t) };
    }
  }
  if (lat.length > 0) {
    out.push('## First start: launch → first answer (ms)');
    out.push('');
    const rows = [];
    for (const lang of ['js', 'ts']) {
      const here = lat.filter((r) => r.lang === lang);
      const starts = statRows(lang, LATENCY_TOOLS[lang], (t) => here.filter((r) => r.tool === t).map((r) => r.firstStartMs), [lang]);
      const own = statRows(lang, LATENCY_TOOLS[lang], (t) => here.filter((r) => r.tool === t).map((r) => r.toolStartMs), []);
      rows.push(...starts.map((row, i) => [...row, own[i][1], own[i][4]]));
    }
    out.push(table(['entry', 'tool', 'median', 'min–max', 'n', 'devsup ÷ peer', "the tool's own start: launch → app process", 'devsup ÷ peer'], rows));
    out.push('');

    out.push('## Restart latency: edit of version file → new version answers (ms)');
    out.push('');
    const rows2 = [];
    for (const lang of ['js', 'ts']) {
      for (const c of CLEANUPS) {
        rows2.push(...statRows(lang, LATENCY_TOOLS[lang], (t) => editsOf(lang, c, t).map((e) => e.ms), [lang, `${c} ms`]));
      }
    }
    out.push(table(['entry', 'cleanup', 'tool', 'median', 'min–max', 'n', 'devsup ÷ peer'], rows2));
    out.push('');

    out.push('## Where the restart time goes (medians, ms; from the app\'s event log)');
    out.push('');
    out.push('edit→signal: until the old app\'s SIGTERM/SIGINT handler ran; cleanup+exit: its cleanup and exit; exit→code: until the new app\'s code started running; edit→code: the same from the edit; runtime: the new process\'s own boot (node, loaders) before the app\'s code — with "ahead", booted before the old app exited (devsup\'s standby), so that much of it was hidden; import+listen: the app\'s code → listening; answer: listening → first answer of the poll.');
    out.push('');
    const rows3 = [];
    for (const { lang, c, t, edits } of latencyCells()) {
      const m = (key) => fmt(summarize(edits.map((e) => e.phases?.[key])).median);
      const ahead = edits.filter((e) => e.bootedAhead).length;
      const runtime = `${m('runtime')}${ahead > 0 ? ` (${ahead}/${edits.length} ahead)` : ''}`;
      rows3.push([lang, `${c} ms`, label(t), m('toSignal'), m('cleanupAndExit'), m('exitToNewProcess'), m('toNewProcess'), runtime, m('boot'), m('answer'), fmt(summarize(edits.map((e) => e.ms)).median)]);
    }
    out.push(table(['entry', 'cleanup', 'tool', 'edit→signal', 'cleanup+exit', 'exit→code', 'edit→code', 'runtime', 'import+listen', 'answer', 'total'], rows3));
    out.push('');

    out.push('## Teardown correctness (per edit)');
    out.push('');
    const rows4 = [];
    for (const { lang, c, t, edits } of latencyCells()) {
      const n = edits.length;
      const count = (f) => edits.filter(f).length;
      const starts = edits.reduce((a, e) => a + (e.starts ?? 0), 0);
      const signals = [...new Set(edits.map((e) => e.signal ?? 'none'))].join(', ');
      rows4.push([
        lang,
        `${c} ms`,
        label(t),
        String(n),
        `${count((e) => e.cleanupDoneBeforeNewStart)}/${n}`,
        `${count((e) => e.cleanupRan)}/${n}`,
        signals,
        String(edits.reduce((a, e) => a + (e.eaddrinuseStarts ?? 0), 0)),
        n > 0 ? (starts / n).toFixed(2) : '—',
      ]);
    }
    out.push(table(['entry', 'cleanup', 'tool', 'edits', 'cleanup done before new start', 'cleanup ran at all', 'signal seen', 'EADDRINUSE starts', 'starts/edit'], rows4));
    out.push('');
  }

  const burst = results.burst;
  if (burst.length > 0) {
    out.push(`## Burst: ${BURST_MODULES} imported modules rewritten within ~100 ms (app cleanup ${BURST_CLEANUP_MS} ms)`);
    out.push('');
    const rows = [];
    for (const lang of ['js', 'ts']) {
      const here = burst.filter((r) => r.lang === lang);
      const devsup = summarize(here.filter((r) => r.tool === 'devsup').map((r) => r.ms));
      for (const t of BURST_TOOLS[lang]) {
        const rs = here.filter((r) => r.tool === t && r.error === undefined);
        const starts = summarize(rs.map((r) => r.starts));
        const s = summarize(rs.map((r) => r.ms));
        const f = fmtStats(s);
        rows.push([
          lang,
          label(t),
          `${fmt(starts.median)} (${fmt(starts.min)}–${fmt(starts.max)})`,
          String(rs.reduce((a, r) => a + r.startsAfterFinal, 0)),
          f.median,
          f.range,
          f.n,
          t === 'devsup' ? '' : ratio(devsup.median, s.median),
        ]);
      }
    }
    out.push(table(['entry', 'tool', 'starts (median, min–max)', 'starts after final answer', 'last write → final answer, median ms', 'min–max', 'n', 'devsup ÷ peer'], rows));
    out.push('');
  }

  const idle = results.idle;
  if (idle.length > 0) {
    out.push(`## Idle cost on a big project (tool processes only, not the app; RSS ${IDLE_SETTLE_MS / 1000} s after the first answer, or once the scan is over, CPU over the next ${IDLE_CPU_MS / 1000} s)`);
    out.push('');
    const rows = [];
    for (const [files, here] of groupBy(idle, (r) => r.files)) {
      const nm = here[0].nodeModulesFiles;
      for (const lang of ['js', 'ts']) {
        const tools = IDLE_TOOLS.filter(([, l]) => l === lang).map(([t]) => t);
        const ok = (t) => here.filter((r) => r.lang === lang && r.tool === t && r.error === undefined);
        const med = (t, k) => summarize(ok(t).map((r) => r[k]));
        for (const t of tools) {
          const fa = med(t, 'firstAnswerMs');
          const rss = med(t, 'rssMB');
          const root = med(t, 'rootRssMB');
          const cpu = med(t, 'idleCpuMs');
          const boot = med(t, 'cpuStartupMs');
          const rs = med(t, 'restartMs');
          const quiet = med(t, 'quietMs');
          const d = (k) => med('devsup', k).median;
          const r = (k, s) => (t === 'devsup' ? '' : ratio(d(k), s.median));
          rows.push([
            `${files.toLocaleString('en')} + ${nm.toLocaleString('en')} in node_modules`,
            lang,
            label(t),
            `${fmt(fa.median)} (${fmt(fa.min)}–${fmt(fa.max)})`,
            r('firstAnswerMs', fa),
            fmt(quiet.median),
            `${fmt(rss.median, 1)} (${fmt(rss.min, 1)}–${fmt(rss.max, 1)})`,
            r('rssMB', rss),
            fmt(root.median, 1),
            r('rootRssMB', root),
            `${fmt(cpu.median)} (${fmt(cpu.min)}–${fmt(cpu.max)})`,
            fmt(boot.median),
            fmt(rs.median),
            String(fa.n),
          ]);
        }
      }
    }
    out.push(table(['files', 'entry', 'tool', 'launch → first answer ms', 'devsup ÷ peer', 'launch → CPU quiet ms', 'RSS MB', 'devsup ÷ peer', 'main process RSS MB', 'devsup ÷ peer', 'CPU ms in 5 s idle', 'CPU ms until idle', 'restart ms after idle', 'n'], rows));
    out.push('');
    out.push('CPU quiet: the initial scan is over (the tool\'s processes used < 5% of a core over 500 ms; 250 ms resolution); the RSS sample is taken 3 s after the first answer or then, if later, and the idle CPU window follows it. CPU ms until idle: CPU time of the tool\'s processes from launch to the RSS sample (startup, initial scan). Restart ms after idle: one edit of the version file after the idle window. The tool\'s processes: ' + [...groupBy(idle.filter((r) => r.toolProcesses), (r) => r.tool)].map(([t, rs]) => `${label(t)}: ${rs[0].toolProcesses.map((p) => p.comm).join(' + ')}`).join('; ') + '.');
    out.push('');
  }

  const requests = results.requests ?? [];
  if (requests.length > 0) {
    out.push(`## Requests during restarts: a fresh connection every ${REQUEST_EVERY_MS} ms through ${REQUEST_RESTARTS} restarts (app cleanup ${REQUEST_CLEANUP_MS} ms, ${REQUEST_TIMEOUT_MS / 1000} s timeout)`);
    out.push('');
    const rows = requests.map((r) => {
      const f = r.failed ?? {};
      const failedN = (f.refused ?? 0) + (f.reset ?? 0) + (f.timeout ?? 0) + (f.other ?? 0);
      return [r.lang, label(r.tool), String(r.restarts ?? '—'), String(r.sent ?? '—'), r.error ? `error: ${r.error}` : `${failedN} (${r.sent ? ((100 * failedN) / r.sent).toFixed(1) : '0'} %)`, String(f.refused ?? '—'), String(f.reset ?? '—'), String(f.timeout ?? '—'), String(f.other ?? '—')];
    });
    out.push(table(['entry', 'tool', 'restarts', 'sent', 'failed', 'refused', 'reset', 'timeout', 'other'], rows));
    out.push('');
  }

  if (results.failures.length > 0) {
    out.push('## Failures');
    out.push('');
    for (const f of results.failures) out.push(`- session ${f.session} ${f.label} ${label(f.tool)} (${f.lang}): ${f.error} (log: ${f.log})`);
    out.push('');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main() {
  if (!existsSync(join(DIST, 'cli', 'main.js'))) {
    process.stderr.write('bench: dist/cli/main.js is missing: run npm run build first\n');
    process.exit(2);
  }
  for (const f of [NODEMON, TSX_CLI]) {
    if (!existsSync(f)) {
      process.stderr.write(`bench: ${relative(REPO, f)} is missing: run npm install first\n`);
      process.exit(2);
    }
  }
  rmSync(SNAPSHOT, { recursive: true, force: true });
  cpSync(DIST, SNAPSHOT, { recursive: true });
  try {
    execFileSync(NODE, [DEVSUP_CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000, env: baseEnv });
  } catch (error) {
    const why = String(error.stderr ?? error.message).trim().split('\n').slice(0, 6).join('\n');
    process.stderr.write(`bench: this devsup build does not run (being rebuilt? run npm run build):\n${why}\n`);
    process.exit(2);
  }

  const started = wall();
  const h = header();
  process.stdout.write(`devsup benchmark — ${h.date}\n`);
  process.stdout.write(`machine: ${h.machine.cpu}, ${h.machine.cores} cores, ${h.machine.memoryGiB} GiB memory; Node ${h.node}\n\n`);

  progress(`generating fixtures${opts.large ? ' (with the 100,000-file project)' : ''}…`);
  const genStart = wall();
  fx = generateFixtures({ big: SCENARIOS.has('idle'), large: opts.large });
  progress(`fixtures in ${fx.root} (${Math.round(wall() - genStart)} ms); tool output in ${fx.logs}`);

  const results = { header: h, fixtures: fx.root, latency: [], burst: [], idle: [], requests: [], failures };
  for (let round = 0; round < ROUNDS; round++) {
    progress(`round ${round + 1}/${ROUNDS}`);
    if (SCENARIOS.has('latency')) {
      for (const lang of ['js', 'ts']) {
        for (const c of CLEANUPS) {
          for (const t of rotate(LATENCY_TOOLS[lang], round)) {
            const r = await latencySession(t, lang, c, round);
            results.latency.push(r);
            if (!r.error) progress(`  latency ${lang} cleanup ${c} ms ${label(t)}: first start ${fmt(r.firstStartMs)} ms; edits ${r.edits.map((e) => fmt(e.ms)).join(', ')} ms`);
          }
        }
      }
    }
    if (SCENARIOS.has('burst')) {
      for (const lang of ['js', 'ts']) {
        for (const t of rotate(BURST_TOOLS[lang], round)) {
          const r = await burstSession(t, lang, round);
          results.burst.push(r);
          if (!r.error) progress(`  burst ${lang} ${label(t)}: ${r.starts} start(s), final answer ${fmt(r.ms)} ms after the last write`);
        }
      }
    }
    if (SCENARIOS.has('idle')) {
      for (const big of fx.big) {
        for (const [t, lang] of rotate(IDLE_TOOLS, round)) {
          const r = await idleSession(big, t, lang, round);
          results.idle.push(r);
          if (!r.error) progress(`  idle ${big.files} files ${lang} ${label(t)}: first answer ${fmt(r.firstAnswerMs)} ms, RSS ${fmt(r.rssMB, 1)} MB, idle CPU ${fmt(r.idleCpuMs)} ms`);
        }
      }
    }
  }
  // Once, not per round: each session is a whole series of restarts.
  if (SCENARIOS.has('requests')) {
    for (const lang of ['js', 'ts']) {
      for (const t of REQUEST_TOOLS[lang]) {
        const r = await requestsSession(t, lang);
        results.requests.push(r);
        if (!r.error) progress(`  requests ${lang} ${label(t)}: ${r.sent} sent through ${r.restarts} restarts, failed: ${JSON.stringify(r.failed)}`);
      }
    }
  }
  results.header.machine.loadavgAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);
  results.durationS = Math.round((wall() - started) / 1000);

  const md = report(results);
  results.markdown = md;
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${md}\n`);
  process.stdout.write(`run took ${results.durationS} s; load average at end ${results.header.machine.loadavgAtEnd.join(' ')}\n`);
  process.stdout.write(`results: ${OUT}\n`);
  if (failures.length > 0) {
    keepFixtures = true;
    process.stdout.write(`kept the fixtures and tool logs for the failures: ${fx.root}\n`);
  }
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
