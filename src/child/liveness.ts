// Is devsup still there? For devsup/child and the preload guard, when their IPC channel closes: it also closes when
// the app calls process.disconnect() itself, and only a supervisor that is gone means "stop".
import { readFileSync } from 'node:fs';

/** Whether the process is gone: no such pid, or dead and not yet collected by its parent (a zombie). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // Dead but not yet collected by its own parent (a zombie) is gone too. Linux says so in /proc; elsewhere, the
  // check above succeeds only until the zombie is collected, a moment later.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/**
 * Whether the supervisor is gone. `parentAtStart`: our parent when we started. If that was the supervisor and we have
 * another parent now, we were reparented: it died, even if its pid is still taken (not yet collected, or reused).
 */
export function supervisorGone(supervisorPid: number, parentAtStart: number): boolean {
  return (parentAtStart === supervisorPid && process.ppid !== supervisorPid) || processGone(supervisorPid);
}
