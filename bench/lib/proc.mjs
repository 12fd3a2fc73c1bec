// Processes: start a tool in its own process group, find its tree through /proc, measure RSS and CPU time, and kill
// the whole tree by pid (plus the group) when a measurement ends — whatever happened during it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux (x86-64, arm64)

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** Wall-clock milliseconds with sub-ms resolution, comparable with the app's `performance.timeOrigin + now()`. */
export const wall = () => performance.timeOrigin + performance.now();

/** One /proc/<pid>/stat, or undefined when the process is gone (or a zombie). */
export function readStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command (field 2) may hold spaces and parentheses: the fields we want follow its last ')'.
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // f[0] = field 3 (state), f[1] = ppid, f[2] = pgrp, f[11] = utime, f[12] = stime, f[19] = starttime.
  return {
    pid,
    comm,
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    start: f[19],
  };
}

export function isAlive(pid) {
  const s = readStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
}

function allProcesses() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s && s.state !== 'Z' && s.state !== 'X') out.push(s);
  }
  return out;
}

/** The root and all its live descendants, plus every live member of its process group (orphans included). */
export function treeOf(rootPid) {
  const procs = allProcesses();
  const children = new Map();
  for (const p of procs) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const found = new Map();
  const root = procs.find((p) => p.pid === rootPid);
  if (root) found.set(root.pid, root);
  const queue = [rootPid];
  while (queue.length > 0) {
    const at = queue.shift();
    for (const c of children.get(at) ?? []) {
      if (found.has(c.pid)) continue;
      found.set(c.pid, c);
      queue.push(c.pid);
    }
  }
  for (const p of procs) if (p.pgrp === rootPid && !found.has(p.pid)) found.set(p.pid, p);
  return [...found.values()];
}

/** Resident set size in bytes (VmRSS), 0 if gone. */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The processes of a tool's tree that are the tool's own: everything except the app pids and their descendants. */
export function toolProcesses(rootPid, appPids) {
  const tree = treeOf(rootPid);
  const excluded = new Set(appPids);
  // Descendants of an app process belong to the app.
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of tree) {
      if (!excluded.has(p.pid) && excluded.has(p.ppid)) {
        excluded.add(p.pid);
        grew = true;
      }
    }
  }
  return tree.filter((p) => !excluded.has(p.pid));
}

/** CPU time (ms) of each process, keyed by pid + start time so that a reused pid is a different process. */
export function cpuSnapshot(procs) {
  const map = new Map();
  for (const p of procs) {
    const s = readStat(p.pid);
    if (s && s.start === p.start) map.set(`${p.pid}:${p.start}`, (s.cpuTicks * 1000) / CLK_TCK);
  }
  return map;
}

const live = new Set(); // every tool started and not yet confirmed gone

/**
 * Starts a tool in its own process group; its stdout and stderr go to `logFile`. Returns a handle with the pid and
 * a promise for its exit.
 */
export function startTool({ command, args, cwd, env, logFile }) {
  const fd = openSync(logFile, 'a');
  const spawnedAt = wall();
  let child;
  try {
    child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  const handle = { pid: child.pid, child, exited: false, exit: undefined, spawnedAt };
  handle.exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      handle.exited = true;
      handle.exit = { code, signal };
      resolve(handle.exit);
    });
    child.on('error', (error) => {
      handle.exited = true;
      handle.exit = { error: error.message };
      resolve(handle.exit);
    });
  });
  if (child.pid !== undefined) live.add(handle);
  return handle;
}

function killNow(handle, extraPids = []) {
  const pids = new Set(extraPids);
  if (handle.pid !== undefined) for (const p of treeOf(handle.pid)) pids.add(p.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  try {
    process.kill(-handle.pid, 'SIGKILL'); // the process group: whatever the tool started meanwhile
  } catch {
    // no such group any more
  }
  return pids;
}

/**
 * SIGKILLs the tool's whole tree (by pid, and its process group), then waits (bounded) until every one of those
 * processes is gone. `extraPids`: pids known to belong to it (the app pids from the events file) even if reparented.
 */
export async function killTree(handle, extraPids = [], timeoutMs = 5000) {
  if (handle.pid === undefined) return true;
  const pids = killNow(handle, extraPids);
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  while (Date.now() < deadline) {
    const left = [...pids].filter(isAlive).concat(treeOf(handle.pid).map((p) => p.pid).filter(isAlive));
    if (handle.exited && left.length === 0) {
      gone = true;
      break;
    }
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(20);
  }
  live.delete(handle);
  return gone;
}

/** Last resort on the harness's own exit: SIGKILL every tree still known, synchronously. */
export function killAllSync() {
  for (const handle of live) killNow(handle, handle.appPids ?? []);
  live.clear();
}
