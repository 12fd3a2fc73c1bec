// Is devsup still there? What devsup/child and the preload ask when their channel closes.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { processGone, supervisorGone } from '../../src/child/liveness.js';

describe('supervisorGone', () => {
  it('a supervisor that runs, and was or was not our parent, is there', () => {
    expect(supervisorGone(process.ppid, process.ppid)).toBe(false);
    expect(supervisorGone(process.pid, process.ppid)).toBe(false);
  });

  it('a supervisor whose pid is gone is gone', () => {
    const { pid } = spawnSync(process.execPath, ['-e', '0']);
    expect(processGone(pid!)).toBe(true);
    expect(supervisorGone(pid!, process.ppid)).toBe(true);
  });

  it('a supervisor that was our parent and no longer is (we were reparented) is gone, even if its pid is taken', () => {
    // Our own pid stands for a pid still taken (not yet collected, or reused): alive, but not our parent.
    expect(processGone(process.pid)).toBe(false);
    expect(supervisorGone(process.pid, process.pid)).toBe(true);
  });
});
