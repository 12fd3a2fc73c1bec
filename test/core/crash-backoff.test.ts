// --on-crash restart with an app that says ready() and crashes 20 ms later (issue 16 item 9): ready() does not
// forgive the crashes — only staying up does (the 'stable' timer) — so the backoff grows: attempt 1, 2, 3…
import { describe, expect, it } from 'vitest';
import { Project, sleep } from '../helpers/harness.js';

describe('crash backoff', () => {
  it('ready() then a crash, again and again: attempts count up, fewer than 10 starts in 5 s', async () => {
    const project = new Project('ready-then-crashes.mjs');
    const devsup = project.run([project.entry, '--on-crash', 'restart']);
    await project.waitFor('start');
    await sleep(5000);
    const starts = project.named('start').length;
    expect(starts).toBeGreaterThanOrEqual(3);
    expect(starts).toBeLessThan(10);
    const attempts = devsup.matching(/onCrash: restart, attempt \d+/).map((l) => Number(/attempt (\d+)/.exec(l)![1]));
    expect(attempts.slice(0, 3)).toEqual([1, 2, 3]);
    expect(attempts).toEqual(attempts.map((_, i) => i + 1));
    const delays = devsup.matching(/restarting in .* \(onCrash/).map((l) => /restarting in (\S+ m?s)/.exec(l)![1]);
    expect(new Set(delays).size).toBe(delays.length); // each wait longer than the last
    expect(devsup.process.exitCode).toBe(null);
  });
});
