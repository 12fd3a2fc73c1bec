// The process table: every process with its parent and start time, the descendants of a pid, and signalling a tree.
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

/** A process read from /proc: live, exited (a zombie: only its parent's wait() is missing), or gone meanwhile. */
function readStat(pid: number): Proc | { exited: Proc } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
    const stat = statBuffer.toString('latin1', 0, readSync(fd, statBuffer, 0, statBuffer.length, 0));
    // The command name (field 2) may hold spaces and parentheses: the fields we want come after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie has exited already; only its parent's wait() is missing (and a container's pid 1 may never do it).
    const proc = { pid, ppid: Number(fields[1]), start: fields[19] ?? '' };
    return fields[0] === 'Z' || fields[0] === 'X' ? { exited: proc } : proc;
  } catch {
    return undefined; // gone meanwhile
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The process table, and what ended while it was read: `exited`, processes listed that had exited by the time they
 * were read (zombies; `start` known) or were gone altogether (`start` empty). A process that forks and exits (a
 * re-forking helper) can be missed by a listing that is not atomic — its new copy started after the directory was
 * read — but then its exit shows here: a look that finds nothing is conclusive only if nothing of interest exited
 * meanwhile. Linux only; elsewhere `exited` is empty.
 */
export async function readTable(): Promise<{ procs: Proc[]; exited: Proc[] }> {
  if (process.platform !== 'linux') return { procs: await listProcesses(), exited: [] };
  const procs: Proc[] = [];
  const exited: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const read = readStat(Number(name));
    if (read === undefined) exited.push({ pid: Number(name), ppid: 0, start: '' });
    else if ('exited' in read) exited.push(read.exited);
    else procs.push(read);
  }
  return { procs, exited };
}

/** Every process on the machine, with its parent. Linux reads /proc; macOS and the BSDs ask ps; Windows has none. */
export async function listProcesses(): Promise<Proc[]> {
  if (process.platform === 'linux') return (await readTable()).procs;
  if (process.platform === 'win32') return [];
  const { execa } = await import('execa'); // only where there is no /proc; loaded on first use
  // reject: false also covers a missing ps (a slim container): the listing is then empty, never a crash.
  const { stdout = '' } = await execa('ps', ['-A', '-o', 'pid=,ppid=,lstart='], { reject: false });
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

/** Sends `signal` to each of `pids`; one already gone is skipped. */
export function signalAll(pids: Iterable<number>, signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Signals `pid` and all its descendants, from one listing of the process table taken while the tree is still intact
 * (on Linux /proc: no `ps` needed, and a wide tree costs one scan). Windows has no signals: taskkill, through
 * tree-kill. Resolves when sent.
 */
export async function signalTree(pid: number, signal: NodeJS.Signals): Promise<void> {
  if (process.platform === 'win32') {
    const { default: treeKill } = await import('tree-kill');
    return new Promise((resolve) => treeKill(pid, signal, () => resolve()));
  }
  // Where the table cannot be read (no ps on the PATH), the app itself still gets the signal.
  const procs = await listProcesses().catch(() => [] as Proc[]);
  signalAll([pid, ...descendantsOf(pid, procs).map((p) => p.pid)], signal);
}
