// What is left of a run after its app exited: the descendants seen while its tree was intact, every process carrying
// its DEVSUP_RUN marker (double forks and new sessions included), and what those start meanwhile; named with their
// command and the addresses they listen on, for the report.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Reaped } from '../core/events.js';
import { socketInode, tablePort, TCP_LISTEN, TCP_TABLES, tcpRows } from '../protocol/proc-net.js';
import { descendantsOf, readTable, signalAll, survivors, type Proc } from './tree.js';

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
  const ip = hex.slice(0, hex.indexOf(':'));
  const portNumber = tablePort(hex);
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
      const inode = socketInode(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
      if (inode) owner.set(inode, pid);
    }
  }
  if (owner.size === 0) return result;
  for (const table of TCP_TABLES) {
    for (const row of tcpRows(await readFile(table, 'utf8').catch(() => ''))) {
      const pid = row.state === TCP_LISTEN ? owner.get(row.inode) : undefined;
      if (pid !== undefined) result.get(pid)!.push(decodeAddress(row.local));
    }
  }
  return result;
}


/**
 * Processes whose environment carries DEVSUP_RUN=<token>: every process a run started, however it got away —
 * double forks and new sessions included, since the variable is inherited. Linux only (/proc/<pid>/environ).
 * `unsure`: how many of those that may have been the run's had exited before their environment could be read.
 */
export async function markedWith(token: string, procs: readonly Proc[], startedSince?: string): Promise<Proc[] & { unsure?: number }> {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`\0DEVSUP_RUN=${token}\0`);
  // Only processes started after the run's app (start times in clock ticks since boot): a handful, not the machine.
  const since = startedSince === undefined ? 0 : Number(startedSince);
  let unsure = 0;
  const found = await Promise.all(
    procs.map(async (p) => {
      if (p.pid === process.pid || Number(p.start) < since) return undefined;
      const environ = await readFile(`/proc/${p.pid}/environ`).catch((error: NodeJS.ErrnoException) => (error.code === 'EACCES' ? undefined : Buffer.alloc(0)));
      if (!environ) return undefined;
      // Empty: it exited meanwhile (the kernel shows no environment for an exiting process).
      if (environ.length === 0) {
        unsure++;
        return undefined;
      }
      // The first variable has no NUL before it: compare with one in front.
      return Buffer.concat([Buffer.from([0]), environ]).includes(needle) ? p : undefined;
    }),
  );
  return Object.assign(found.filter((p): p is Proc => p !== undefined), { unsure });
}

// How many times one scan looks again when a look found nothing but something exited while it looked.
const MAX_LOOKS = 5;

/**
 * The leftovers of one run. Each scan looks again — at what it found before, the run's marker, and their
 * descendants — so that a process started by a leftover after the first look (a re-forking helper, a `setsid` in a
 * cleanup) is found too. A look that finds nothing while a process that may have been the run's exited during it
 * is not believed: a process that forks and exits would otherwise slip between the listing and the read of its
 * environment. Once a rung signalled (signal()), every later scan signals what it finds that the rung has not
 * signalled yet: a process that re-forks faster than the rungs come is still reached. What is signalled is
 * described first (command, addresses), while it still runs, and added to `killed`.
 */
export class Leftovers {
  readonly #token: string;
  readonly #startedSince: string | undefined;
  /** Every process of the run found so far, by pid. */
  readonly #tracked = new Map<number, Proc>();
  readonly #described = new Map<number, Reaped>();
  readonly #killed: Reaped[];
  /** The signal of the rung reached (none before the first), and the pids it was sent to. */
  #rung: NodeJS.Signals | undefined;
  #hit = new Set<number>();

  constructor(seen: Iterable<Proc>, token: string, startedSince: string | undefined, killed: Reaped[] = []) {
    for (const p of seen) this.#tracked.set(p.pid, p);
    this.#token = token;
    this.#startedSince = startedSince;
    this.#killed = killed;
  }

  /** What of the run still runs now; signalled with the current rung's signal if it was not yet. */
  async scan(): Promise<Proc[]> {
    const since = this.#startedSince === undefined ? 0 : Number(this.#startedSince);
    let found = new Map<number, Proc>();
    for (let look = 1; ; look++) {
      const { procs, exited } = await readTable().catch(() => ({ procs: [] as Proc[], exited: [] as Proc[] }));
      const marked = await markedWith(this.#token, procs, this.#startedSince);
      found = new Map<number, Proc>();
      for (const p of [...survivors(this.#tracked.values(), procs), ...marked]) {
        for (const q of [p, ...descendantsOf(p.pid, procs)]) found.set(q.pid, q);
      }
      const ours = (p: Proc) => this.#tracked.has(p.pid) || p.start === '' || Number(p.start) >= since;
      const unsure = (marked.unsure ?? 0) > 0 || exited.some(ours);
      if (found.size > 0 || !unsure || look >= MAX_LOOKS) break;
    }
    this.#tracked.clear();
    for (const [pid, p] of found) this.#tracked.set(pid, p);
    const left = [...found.values()];
    if (this.#rung) await this.#strike(left, this.#rung);
    return left;
  }

  /** A rung: signals what still runs, and from now on what each scan finds; what is new is added to `killed`. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    this.#rung = signal;
    this.#hit = new Set();
    await this.scan();
  }

  // Scans overlap (the reap's watch and a rung's): what one strikes is claimed at once, so that no other scan
  // describes or signals it again.
  async #strike(found: Proc[], signal: NodeJS.Signals): Promise<void> {
    const hit = this.#hit;
    const procs = found.filter((p) => !hit.has(p.pid));
    if (procs.length === 0) return;
    for (const p of procs) hit.add(p.pid);
    const fresh = procs.filter((p) => !this.#described.has(p.pid));
    for (const p of fresh) this.#described.set(p.pid, { pid: p.pid, command: '', listening: [] });
    const listening = await listeningAddresses(fresh.map((p) => p.pid));
    const described = await Promise.all(
      fresh.map(async (p) => ({ pid: p.pid, command: await commandOf(p.pid), listening: listening.get(p.pid) ?? [] })),
    );
    for (const r of described) this.#described.set(r.pid, r);
    this.#killed.push(...described);
    signalAll(procs.map((p) => p.pid), signal);
  }
}
