// What is left of a run after its app exited: the descendants seen while its tree was intact, every process carrying
// its DEVSUP_RUN marker (double forks and new sessions included), and what those start meanwhile; named with their
// command and the addresses they listen on, for the report.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Reaped } from '../core/events.js';
import { descendantsOf, listProcesses, signalAll, survivors, type Proc } from './tree.js';

export type { Reaped };

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
  const { stdout = '' } = await execa('ps', ['-o', 'command=', '-p', String(pid)], { reject: false });
  return stdout.trim();
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

/**
 * The leftovers of one run. Each scan looks again — at what it found before, the run's marker, and their
 * descendants — so that a process started by a leftover after the first look (a re-forking helper, a `setsid` in a
 * cleanup) is found too. What is signalled is described first (command, addresses), while it still runs.
 */
export class Leftovers {
  readonly #token: string;
  readonly #startedSince: string | undefined;
  /** Every process of the run found so far, by pid. */
  readonly #tracked = new Map<number, Proc>();
  readonly #described = new Map<number, Reaped>();

  constructor(seen: Iterable<Proc>, token: string, startedSince: string | undefined) {
    for (const p of seen) this.#tracked.set(p.pid, p);
    this.#token = token;
    this.#startedSince = startedSince;
  }

  /** What of the run still runs now. */
  async scan(): Promise<Proc[]> {
    const procs = await listProcesses().catch(() => [] as Proc[]);
    const found = new Map<number, Proc>();
    for (const p of [...survivors(this.#tracked.values(), procs), ...(await markedWith(this.#token, procs, this.#startedSince))]) {
      for (const q of [p, ...descendantsOf(p.pid, procs)]) found.set(q.pid, q);
    }
    this.#tracked.clear();
    for (const [pid, p] of found) this.#tracked.set(pid, p);
    return [...found.values()];
  }

  /** Signals what still runs; returns those of them not signalled before, described. */
  async signal(signal: NodeJS.Signals): Promise<Reaped[]> {
    const left = (await this.scan()).filter((p) => !this.#described.has(p.pid));
    const listening = await listeningAddresses(left.map((p) => p.pid));
    const fresh = await Promise.all(
      left.map(async (p) => ({ pid: p.pid, command: await commandOf(p.pid), listening: listening.get(p.pid) ?? [] })),
    );
    for (const r of fresh) this.#described.set(r.pid, r);
    signalAll(this.#tracked.keys(), signal);
    return fresh;
  }
}
