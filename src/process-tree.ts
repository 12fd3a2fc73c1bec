// The app's process tree: find descendants while the tree is intact, signal it (tree-kill), and after the app has
// exited, verify that none of the descendants we saw survive — killing those that do.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { execa } from 'execa';
import treeKill from 'tree-kill';

export interface Proc {
  pid: number;
  ppid: number;
  /** Identifies this process among all that ever had its pid (start time on Linux), so a reused pid is never killed. */
  start: string;
}

async function readProc(pid: number): Promise<Proc | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the fields we want come after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited already; only its parent's wait() is missing (and a container's pid 1 may never do it).
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { pid, ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Every process on the machine, with its parent. Linux reads /proc; macOS and the BSDs ask ps; Windows has none. */
export async function listProcesses(): Promise<Proc[]> {
  if (process.platform === 'linux') {
    const names = await readdir('/proc');
    const procs = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProc(Number(n))));
    return procs.filter((p): p is Proc => p !== undefined);
  }
  if (process.platform === 'win32') return [];
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
export function signalTree(pid: number, signal: NodeJS.Signals): Promise<void> {
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
  const { stdout } = await execa('ps', ['-o', 'command=', '-p', String(pid)], { reject: false });
  return stdout.trim();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
 * After the app has exited: SIGKILLs every process from `seen` that still runs, with its own descendants, and waits
 * (bounded) until they are gone. Returns what had to be killed.
 */
export async function reap(seen: Iterable<Proc>, waitMs = 2000): Promise<Reaped[]> {
  let now = await listProcesses();
  const left = survivors(seen, now);
  if (left.length === 0) return [];
  const targets = new Map<number, Proc>();
  for (const p of left) for (const q of [p, ...descendantsOf(p.pid, now)]) targets.set(q.pid, q);
  const listening = await listeningAddresses([...targets.keys()]);
  const reaped = await Promise.all(
    [...targets.values()].map(async (p) => ({ pid: p.pid, command: await commandOf(p.pid), listening: listening.get(p.pid) ?? [] })),
  );
  for (const p of targets.values()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const deadline = Date.now() + waitMs; Date.now() < deadline; await sleep(20)) {
    now = await listProcesses();
    if (survivors(targets.values(), now).length === 0) break;
  }
  return reaped;
}
