// Issue 8's scenario gallery, the Node part: failures reloaders are known for, each a fixture app run under devsup
// for real (restarts by `rs`, then Ctrl-C to devsup's process group as a terminal sends it), and — where the naive way
// leaks — the same app without its cleanup (SIGKILLed, as a reloader's last resort does), so that each test shows the
// leak devsup prevents. Evidence: the fixtures' event lines, pids (/proc), ports (/proc/net/tcp), devsup's log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { socketInode, tablePort, TCP_LISTEN, TCP_TABLES, tcpRows } from '../../src/protocol/proc-net.js';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { isAlive, kill, Project, ROOT, until, type Devsup, type Event } from '../helpers/harness.js';

const TSX = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;

// The figures the tests measured, printed at the end (the README's "Why devsup" quotes them).
const measured: Record<string, unknown> = {};
afterAll(() => console.log(`scenario figures: ${JSON.stringify(measured)}`));

/**
 * Which of `ports` one of `pids` listens on now (Linux: /proc/net/tcp{,6}, state 0A, and the socket inodes in
 * /proc/<pid>/fd). By pid, not by port alone: the OS may hand a port a dead helper had to the next one (or to anyone
 * on the machine), and that is not the dead one's leftover.
 */
function heldPorts(ports: readonly number[], pids: readonly number[]): number[] {
  const inodes = new Map<string, number>();
  for (const table of TCP_TABLES) {
    for (const row of tcpRows(readFileSync(table, 'utf8'))) {
      if (row.state === TCP_LISTEN && ports.includes(tablePort(row.local))) inodes.set(row.inode, tablePort(row.local));
    }
  }
  const held = new Set<number>();
  for (const pid of inodes.size === 0 ? [] : pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const inode = socketInode(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (inode !== undefined && inodes.has(inode)) held.add(inodes.get(inode)!);
      }
    } catch {
      // gone meanwhile
    }
  }
  return [...held];
}

/** A directory next to the project (never inside it: the watcher would see it), removed when the test ends. */
function scratch(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `devsup-${name}-`));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Kills, when the test ends, every pid the fixtures recorded under these fields (the harness kills `pid`). */
function killRecorded(project: Project, fields: string[]): void {
  onTestFinished(() => {
    for (const e of project.events()) {
      for (const field of fields) if (typeof e[field] === 'number' && isAlive(e[field] as number)) kill(e[field] as number);
    }
  });
}

/** The app without devsup, as a plain `node app` would run it; killed by pid when the test ends. */
function runBare(project: Project, env: Record<string, string>): { child: ChildProcess; exited: Promise<unknown> } {
  const loader = project.entry.endsWith('.ts') ? ['--import', TSX] : [];
  const child = spawn(process.execPath, [...loader, project.entry], {
    cwd: project.dir,
    env: { ...process.env, EVENTS: project.eventsFile, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  onTestFinished(() => kill(child.pid!));
  return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** `rs` + Enter, then the summary line of that restart (printed once the new app is ready). */
async function restart(devsup: Devsup, n: number): Promise<void> {
  devsup.process.stdin!.write('rs\n');
  await devsup.waitForLine(new RegExp(`restart #${n}: restart requested · teardown \\d+ ms · ready in \\d+ ms`));
}

/** Ctrl-C in devsup's terminal: SIGINT to its process group (devsup and the app). Resolves with devsup's exit code. */
async function ctrlC(devsup: Devsup): Promise<number | null> {
  process.kill(-devsup.pid, 'SIGINT');
  return (await devsup.exited).code;
}

const eventsOf = (project: Project, pid: number) => project.events().filter((e) => e.pid === pid);

describe('1. a headless-browser-like helper (own process group, temp profile dir, debug port)', () => {
  interface Browser extends Event {
    helper: number;
    renderer: number;
    port: number;
    profile: string;
  }
  function browserProject() {
    const project = new Project('launches-browser.mjs', undefined, ['fake-browser.mjs']);
    killRecorded(project, ['helper', 'renderer']);
    return { project, profiles: scratch('profiles') };
  }
  const browsers = (project: Project) => project.named('browser') as Browser[];
  /** What is left of these browsers: processes (helper, renderer), profile dirs, debug ports listened on. */
  function leftovers(list: Browser[]) {
    return {
      processes: list.flatMap((b) => [b.helper, b.renderer]).filter(isAlive).length,
      profileDirs: list.filter((b) => existsSync(b.profile)).length,
      ports: heldPorts(list.map((b) => b.port), list.flatMap((b) => [b.helper, b.renderer])).length,
    };
  }
  const none = { processes: 0, profileDirs: 0, ports: 0 };

  it('closed in onShutdown: after 20 restarts and Ctrl-C no helper process, profile dir or port is left', async () => {
    const { project, profiles } = browserProject();
    const devsup = project.run([project.entry], { env: { PROFILE_ROOT: profiles }, detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    for (let n = 1; n <= 20; n++) {
      await restart(devsup, n);
      const list = browsers(project);
      expect(list).toHaveLength(n + 1);
      // The old browser was gone before the new app started: closed (in the old app's cleanup) before the next start.
      const old = list[n - 1]!;
      const order = project.events().map((e) => `${e.event} ${e.pid}`);
      expect(order.indexOf(`browser-closed ${old.pid}`)).toBeLessThan(order.indexOf(`start ${list[n]!.pid}`));
      expect(order.indexOf(`browser-closed ${old.pid}`)).toBeGreaterThan(-1);
      expect(leftovers(list.slice(0, n))).toEqual(none);
      expect(leftovers([list[n]!])).toEqual({ processes: 2, profileDirs: 1, ports: 1 }); // the current one is up
    }
    expect(await ctrlC(devsup)).toBe(0);
    const all = browsers(project);
    expect(all).toHaveLength(21);
    expect(leftovers(all)).toEqual(none);
    expect(readdirSync(profiles)).toEqual([]);
    expect(devsup.count(/cleanups: browser \d+ ms/)).toBe(21);
    expect(devsup.count(/left open|leftover/)).toBe(0);
    measured.browserDevsup = { restarts: 20, ...leftovers(all) };
  });

  // A control: does not run devsup (the app alone, SIGKILLed) — it shows what is lost without devsup.
  it('control: the naive way (SIGKILL of the app only): every restart leaves the helper, its renderer, the profile dir and the port', async () => {
    const { project, profiles } = browserProject();
    const restarts = 5; // each leaves two idle node processes until the test kills them
    for (let n = 1; n <= restarts; n++) {
      const { child, exited } = runBare(project, { PROFILE_ROOT: profiles });
      await project.waitFor('browser', n);
      child.kill('SIGKILL');
      await exited;
    }
    const all = browsers(project);
    const left = leftovers(all);
    expect(left).toEqual({ processes: 2 * restarts, profileDirs: restarts, ports: restarts });
    expect(readdirSync(profiles)).toHaveLength(restarts);
    measured.browserNaive = { restarts, ...left };
    for (const b of all) for (const pid of [b.helper, b.renderer]) kill(pid);
  });

  it('forgotten (a FinalizationRegistry that never runs): devsup kills the orphans and names them with command and port', async () => {
    const { project, profiles } = browserProject();
    const devsup = project.run([project.entry], { env: { PROFILE_ROOT: profiles, FORGET_BROWSER: '1' }, detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    const restarts = 3;
    for (let n = 1; n <= restarts; n++) {
      await restart(devsup, n);
      const old = browsers(project)[n - 1]!;
      expect(leftovers([old]).processes).toBe(0);
      const killed = devsup.lines().filter((l) => l.includes('killed 2 leftover processes of the old app:'))[n - 1]!;
      expect(killed).toMatch(new RegExp(`pid ${old.helper} \\([^)]*fake-browser\\.mjs --headless --remote-debugging-port=0 [^)]*\\) listening on 127\\.0\\.0\\.1:${old.port}`));
      expect(killed).toMatch(new RegExp(`pid ${old.renderer} \\(\\S*node -e .* fake-renderer\\)`));
      // The leak audit named it first, from inside the app, after its cleanups: the helper and nothing else (its
      // stderr pipe is part of it, not "1 PipeWrap").
      expect(devsup.lines()).toContainEqual(expect.stringMatching(new RegExp(`^\\[devsup\\] teardown left open: child process pid ${old.helper} \\([^)]*fake-browser\\.mjs [^)]*\\) — is a cleanup missing\\?$`)));
    }
    await ctrlC(devsup);
    const all = browsers(project);
    const left = leftovers(all);
    // devsup ends the processes (and so frees the ports); the profile dirs it cannot know about stay behind.
    expect(left).toEqual({ processes: 0, profileDirs: restarts + 1, ports: 0 });
    expect(devsup.count(/killed 2 leftover processes of the old app/)).toBe(restarts + 1);
    expect(project.named('finalized')).toEqual([]);
    measured.browserForgotten = { restarts, ...left };
  });
});

describe('2. async cleanups that need the event loop', () => {
  /** A server the app talks to: which app pids said BYE, and how many connections closed without it. */
  async function byeServer() {
    const byes: number[] = [];
    let silent = 0;
    const server = createServer((socket) => {
      let said = '';
      socket.on('data', (chunk) => (said += chunk.toString()));
      socket.on('error', () => {});
      socket.on('close', () => {
        const bye = /BYE (\d+)/.exec(said);
        if (bye) byes.push(Number(bye[1]));
        else silent += 1;
      });
    });
    await listen(server);
    return { port: (server.address() as { port: number }).port, byes, silent: () => silent };
  }
  const linesOf = (file: string, pid: number) =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${pid} line `)).length : 0;
  const LINES = 500;

  it('a timer, a buffered log stream and a socket goodbye all complete, on every restart and on Ctrl-C', async () => {
    const project = new Project('async-cleanups.ts');
    const upstream = await byeServer();
    const log = join(scratch('log'), 'app.log');
    const devsup = project.run([project.entry], { env: { SOCKET_PORT: String(upstream.port), LOG_FILE: log, LINES: String(LINES) }, detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    for (let n = 1; n <= 3; n++) await restart(devsup, n);
    expect(await ctrlC(devsup)).toBe(0);

    const pids = project.named('start').map((e) => e.pid);
    expect(pids).toHaveLength(4);
    for (const pid of pids) {
      const done = eventsOf(project, pid).filter((e) => e.event === 'cleanup-done').map((e) => e.name);
      expect(done).toEqual(['timer', 'log', 'socket']);
      expect(linesOf(log, pid)).toBe(LINES);
    }
    await until('every goodbye to arrive', () => upstream.byes.length === 4);
    expect(upstream.byes.sort()).toEqual([...pids].sort());
    expect(upstream.silent()).toBe(0);
    const summaries = devsup.lines().filter((l) => /cleanups: timer \d+ ms, log \d+ ms, socket \d+ ms/.test(l));
    expect(summaries).toHaveLength(4);
    // The 200 ms timer really ran: the loop was alive (an `exit` handler could not have waited for it).
    for (const line of summaries) expect(Number(/timer (\d+) ms/.exec(line)![1])).toBeGreaterThanOrEqual(190);
    measured.asyncDevsup = { generations: 4, linesWritten: 4 * LINES, linesLost: 4 * LINES - pids.reduce((s, pid) => s + linesOf(log, pid), 0), goodbyes: upstream.byes.length };
  });

  // A control: does not run devsup (the app alone, SIGKILLed) — it shows what is lost without devsup.
  it('control: the naive way (SIGKILL): the buffered log lines are lost and the socket closes without a goodbye', async () => {
    const project = new Project('async-cleanups.ts');
    const upstream = await byeServer();
    const log = join(scratch('log'), 'app.log');
    const { child, exited } = runBare(project, { SOCKET_PORT: String(upstream.port), LOG_FILE: log, LINES: String(LINES) });
    const [logged] = await project.waitFor('logged');
    child.kill('SIGKILL');
    await exited;
    await until('the upstream to see the connection close', () => upstream.silent() === 1);
    expect(linesOf(log, logged!.pid)).toBe(0);
    expect(upstream.byes).toEqual([]);
    measured.asyncNaive = { generations: 1, linesWritten: LINES, linesLost: LINES - linesOf(log, logged!.pid), goodbyes: 0 };
  });

  // test/hostile.test.ts pins the report for a cleanup that exits at once (exits-in-cleanup.ts); here it exits after
  // an await, with async cleanups before and after it.
  it('a cleanup that calls process.exit() mid-way: those before it completed, the rest is named as never run', async () => {
    const project = new Project('async-cleanups.ts');
    const upstream = await byeServer();
    const log = join(scratch('log'), 'app.log');
    const env = { SOCKET_PORT: String(upstream.port), LOG_FILE: log, LINES: String(LINES), EXIT_IN_CLEANUP: '1' };
    const devsup = project.run([project.entry], { env, detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    await restart(devsup, 1);
    const [first] = project.named('start');
    expect(eventsOf(project, first!.pid).filter((e) => e.event === 'cleanup-done').map((e) => e.name)).toEqual(['timer', 'log', 'exits']);
    expect(linesOf(log, first!.pid)).toBe(LINES);
    await devsup.waitForLine(/app ended \(exit 0\) during cleanup "exits"; never ran: socket/);
    await until('the upstream to see the connection close', () => upstream.silent() === 1);
    expect(upstream.byes).toEqual([]);
    await ctrlC(devsup);
  });
});

describe('3. a keep-alive pool to an upstream', () => {
  const SIZE = 4;
  /** A TCP upstream that counts open connections (by the app pid that said HELLO), goodbyes and abrupt closes. */
  async function upstream() {
    const open = new Map<Socket, number | undefined>();
    const stats = { peak: 0, graceful: 0, abrupt: 0 };
    const server = createServer((socket) => {
      open.set(socket, undefined);
      stats.peak = Math.max(stats.peak, open.size);
      let said = '';
      socket.on('data', (chunk) => {
        said += chunk.toString();
        const hello = /HELLO (\d+)/.exec(said);
        if (hello) open.set(socket, Number(hello[1]));
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        if (said.includes('QUIT')) stats.graceful += 1;
        else stats.abrupt += 1;
      });
    });
    await listen(server);
    onTestFinished(() => {
      for (const socket of open.keys()) socket.destroy();
      server.close();
    });
    return { port: (server.address() as { port: number }).port, stats, open: () => [...open.values()] };
  }

  it(`holds ${SIZE} connections across 50 restarts: the upstream's count returns to ${SIZE} each time, 0 after Ctrl-C`, async () => {
    const up = await upstream();
    const project = new Project('holds-pool.mjs');
    const devsup = project.run([project.entry], { env: { UPSTREAM_PORT: String(up.port), POOL_SIZE: String(SIZE) }, detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    const restarts = 50;
    for (let n = 1; n <= restarts; n++) {
      await restart(devsup, n);
      const current = project.named('ready')[n]!.pid;
      await until(`the upstream to hold only the pool of app #${n + 1}`, () => {
        const open = up.open();
        return open.length === SIZE && open.every((pid) => pid === current);
      });
    }
    expect(await ctrlC(devsup)).toBe(0);
    await until('the upstream to see every connection close', () => up.open().length === 0);
    expect(up.stats).toEqual({ peak: SIZE, graceful: (restarts + 1) * SIZE, abrupt: 0 });
    expect(devsup.count(/cleanups: upstream pool \d+ ms/)).toBe(restarts + 1);
    measured.poolDevsup = { restarts, poolSize: SIZE, ...up.stats, openAfterCtrlC: up.open().length };
  });

  // A control: does not run devsup (the app alone, SIGKILLed) — it shows what is lost without devsup.
  it('control: the naive way (SIGKILL): the kernel closes the sockets, so the count does not grow — but every close is abrupt', async () => {
    const up = await upstream();
    const project = new Project('holds-pool.mjs');
    const restarts = 5;
    for (let n = 1; n <= restarts; n++) {
      const { child, exited } = runBare(project, { UPSTREAM_PORT: String(up.port), POOL_SIZE: String(SIZE) });
      await project.waitFor('ready', n);
      await until('the pool to be open', () => up.open().length === SIZE);
      child.kill('SIGKILL');
      await exited;
      await until('the upstream to see the killed pool close', () => up.open().length === 0);
    }
    expect(up.stats).toEqual({ peak: SIZE, graceful: 0, abrupt: restarts * SIZE });
    measured.poolNaive = { restarts, poolSize: SIZE, ...up.stats };
  });
});

describe('4. cleanups in the right context', () => {
  it('see the AsyncLocalStorage value bound where they were registered; a disposable stack unwinds in reverse order', async () => {
    const project = new Project('cleanup-context.ts');
    const devsup = project.run([project.entry], { detached: true });
    await devsup.waitForLine(/ready in \d+ ms/);
    await restart(devsup, 1);
    expect(await ctrlC(devsup)).toBe(0);

    const pids = project.named('start').map((e) => e.pid);
    expect(pids).toHaveLength(2);
    for (const pid of pids) {
      const seen = eventsOf(project, pid)
        .filter((e) => ['lock-held', 'lock-released', 'ready', 'cleanup', 'disposed'].includes(e.event))
        .map((e) => [e.event, e.name ?? null, e.store ?? null]);
      const boot = (logger: string) => ({ requestId: 'boot', logger });
      expect(seen).toEqual([
        ['lock-held', null, null],
        ['lock-released', null, null], // `await using` (lowered by tsx's esbuild on Node 20) at the end of its block
        ['ready', null, null], // no context outside context.run()
        ['cleanup', 'websocket', { requestId: 'req-42', logger: 'websocket' }], // registered after an await inside run()
        ['disposed', 'server', boot('resources')],
        ['disposed', 'cache', boot('resources')],
        ['disposed', 'pool', boot('resources')],
        ['cleanup', 'db', boot('db')],
      ]);
    }
    expect(devsup.count(/cleanups: websocket \d+ ms, resources \d+ ms, db \d+ ms/)).toBe(2);
    expect(devsup.count(/left open/)).toBe(0);
  });
});

function listen(server: Server): Promise<void> {
  onTestFinished(() => void server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
