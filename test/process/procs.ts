// The process table as a test sees it: which processes carry a variable in their environment (/proc/<pid>/environ),
// and a marker for every process a test starts, so that all of them are killed by pid when it ends.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';
import { kill } from '../helpers/harness.js';

/** Pids of the live (non-zombie) processes whose environment holds `name=value` exactly (every one, if no value). */
export function withEnv(name: string, value?: string): number[] {
  const needle = value === undefined ? `\0${name}=` : `\0${name}=${value}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) continue;
      const environ = `\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`;
      if (environ.includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Pids of the processes of a devsup run: those carrying its DEVSUP_RUN token. */
export const ofRun = (token: string) => withEnv('DEVSUP_RUN', token);

/**
 * A marker every process of the test inherits; whatever carries it is killed by pid when the test ends — looked for
 * again until a look finds none, since a shell still starting processes (or re-forking) adds some after each look.
 */
export function marker(): Record<string, string> {
  const mark = randomUUID();
  onTestFinished(async () => {
    for (let empty = 0, look = 0; empty < 3 && look < 200; look++) {
      const left = withEnv('DEVSUP_TEST_MARK', mark).filter((pid) => pid !== process.pid);
      for (const pid of left) kill(pid);
      empty = left.length === 0 ? empty + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return { DEVSUP_TEST_MARK: mark };
}
