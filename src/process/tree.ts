// The app's processes: find descendants while the tree is intact, signal the tree (tree-kill), and after the app has
// exited, end what is left of the run — the descendants seen, and (Linux) every process carrying its DEVSUP_RUN.
import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Proc {
  pid: number;
  ppid: number;
  /** Identifies this process among all that ever had its pid (start time on Linux), so a reused pid is never killed. */
  start: string;
}

// /proc/<pid>/stat is a few hundred bytes but reports size 0, for which readFile allocates 64 KiB each time: over
// every process, several times per restart, that churned tens of MB (the soak saw RSS creep). One small buffer, read
// synchronously (a couple of ms for the whole table), allocates nothing.
const statBuffer = Buffer.alloc(4096);

function readProc(pid: number): Proc | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
    const stat = statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
    // The command name (field 2) may hold spaces and parentheses: the fields we want come after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited already; only its parent's wait() is missing (and a container's pid 1 may never do it).
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { pid, ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return undefined; // gone meanwhile
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Every process on the machine, with its parent. Linux reads /proc; macOS and the BSDs ask ps; Windows has none. */
export async function listProcesses(): Promise<Proc[]> {
  if (process.platform === 'linux') {
    const procs: Proc[] = [];
    for (const name of await readdir('/proc')) {
      const proc = /^\d+$/.test(name) ? readProc(Number(name)) : undefined;
      if (proc) procs.push(proc);
    }
    return procs;
  }
  if (process.platform === 'win32') return [];
  const { execa } = await import('execa'); // only where there is no /proc; loaded on first use
  const { stdout } = await execa('ps', ['-A', '-o', 'pid=,ppid=,lstart='], { reject: false });
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), start: m[3]!.trim() }));
}

/** The descendants of `pid` in a process listing (not `pid` itself), parents before children. */
export function descendantsOf(pid: number, procs: readonly Proc[]): Proc[] {
  const children = new Map<number, Proc[]>();
  for (const p of procs) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const found: Proc[] = [];
  const queue = [pid];
  for (let at = queue.shift(); at !== undefined; at = queue.shift()) {
    for (const child of children.get(at) ?? []) {
      if (child.pid === pid || found.includes(child)) continue;
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** Those of `seen` that still run as the same process (not a new one that reused the pid). */
export function survivors(seen: Iterable<Proc>, now: readonly Proc[]): Proc[] {
  const live = new Map(now.map((p) => [p.pid, p]));
  return [...seen].filter((p) => live.get(p.pid)?.start === p.start);
}

/** Signals `pid` and all its descendants, walking the tree while it is still intact. Resolves when sent. */
export async function signalTree(pid: number, signal: NodeJS.Signals): Promise<void> {
  const { default: treeKill } = await import('tree-kill'); // only when a ladder escalates: not at start-up
  return new Promise((resolve) => treeKill(pid, signal, () => resolve()));
}

/** The command line of a process, for reports; empty when it cannot be read. */
export async function commandOf(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    try {
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    } catch {
      return '';
    }
  }
  if (process.platform === 'win32') return '';
  const { execa } = await import('execa');
  const { stdout } = await execa('ps', ['-o', 'command=', '-p', String(pid)], { reject: false });
  return stdout.trim();
}

export interface Reaped {
  pid: number;
  command: string;
  /** Addresses it was listening on when found (Linux; empty elsewhere). */
  listening: string[];
}

// /proc/net/tcp writes addresses as little-endian hex: 0100007F:0BB8 is 127.0.0.1:3000.
function decodeAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  const portNumber = Number.parseInt(port, 16);
  if (ip.length === 8) {
    const bytes = ip.match(/../g)!.map((b) => Number.parseInt(b, 16)).reverse();
    return `${bytes.join('.')}:${portNumber}`;
  }
  const words = ip.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  const groups = words.join('').match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
  return `[${groups.join(':').replace(/(^|:)(0(:|$)){2,}/, '::')}]:${portNumber}`;
}

/** The addresses each of `pids` is listening on (TCP, Linux only: /proc). */
export async function listeningAddresses(pids: readonly number[]): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>(pids.map((pid) => [pid, []]));
  if (process.platform !== 'linux' || pids.length === 0) return result;
  const owner = new Map<string, number>();
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) owner.set(inode, pid);
    }
  }
  if (owner.size === 0) return result;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // fields: sl local rem st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN
      if (f[3] !== '0A' || f[9] === undefined) continue;
      const pid = owner.get(f[9]);
      if (pid !== undefined) result.get(pid)!.push(decodeAddress(f[1]!));
    }
  }
  return result;
}


/**
 * Processes whose environment carries DEVSUP_RUN=<token>: every process a run started, however it got away —
 * double forks and new sessions included, since the variable is inherited. Linux only (/proc/<pid>/environ).
 */
export async function markedWith(token: string, procs: readonly Proc[], startedSince?: string): Promise<Proc[]> {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`\0DEVSUP_RUN=${token}\0`);
  // Only processes started after the run's app (start times in clock ticks since boot): a handful, not the machine.
  const since = startedSince === undefined ? 0 : Number(startedSince);
  const found = await Promise.all(
    procs.map(async (p) => {
      if (p.pid === process.pid || Number(p.start) < since) return undefined;
      const environ = await readFile(`/proc/${p.pid}/environ`).catch(() => undefined);
      if (!environ) return undefined;
      // The first variable has no NUL before it: compare with one in front.
      return Buffer.concat([Buffer.from([0]), environ]).includes(needle) ? p : undefined;
    }),
  );
  return found.filter((p): p is Proc => p !== undefined);
}

export interface ReapOptions {
  /** Processes seen in the tree while it was intact. */
  seen: Iterable<Proc>;
  /** The run's DEVSUP_RUN token, to find the ones that left the tree. */
  token: string;
  /** The start time of the run's app (Proc.start), if known: its processes cannot be older. */
  startedSince: string | undefined;
  /** Let them finish on their own until then (performance.now() time): a wrapper's real app may still be cleaning up. */
  waitUntil: number;
  /** After SIGTERM, how long before SIGKILL. */
  graceMs: number;
}

const alive = async (targets: Iterable<Proc>) => survivors(targets, await listProcesses());

async function waitGone(targets: Proc[], until: number): Promise<Proc[]> {
  let left = await alive(targets);
  while (left.length > 0 && performance.now() < until) {
    await sleep(20);
    left = await alive(left);
  }
  return left;
}

function signalAll(targets: Proc[], signal: NodeJS.Signals): void {
  for (const p of targets) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * After the app has exited: whatever of its processes still runs (seen in its tree, or carrying its token) is
 * given until `waitUntil` to end on its own, then SIGTERM, then after `graceMs` SIGKILL. Returns what had to be
 * signalled, with its command and the addresses it listened on.
 */
export async function reap(options: ReapOptions): Promise<Reaped[]> {
  const procs = await listProcesses();
  const tracked = new Map<number, Proc>();
  for (const p of [...survivors(options.seen, procs), ...(await markedWith(options.token, procs, options.startedSince))]) {
    for (const q of [p, ...descendantsOf(p.pid, procs)]) tracked.set(q.pid, q);
  }
  if (tracked.size === 0) return [];
  const left = await waitGone([...tracked.values()], options.waitUntil);
  if (left.length === 0) return [];
  const listening = await listeningAddresses(left.map((p) => p.pid));
  const reaped = await Promise.all(
    left.map(async (p) => ({ pid: p.pid, command: await commandOf(p.pid), listening: listening.get(p.pid) ?? [] })),
  );
  signalAll(left, 'SIGTERM');
  const stubborn = await waitGone(left, performance.now() + options.graceMs);
  signalAll(stubborn, 'SIGKILL');
  await waitGone(stubborn, performance.now() + 2000);
  return reaped;
}
