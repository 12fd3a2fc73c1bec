// The soak in its short form (npm run soak does 1,000): many restarts leave nothing behind and leak nothing.
import { expect, it } from 'vitest';
import { runSoak } from '../helpers/soak.js';

it('100 restarts: no surviving process, no EADDRINUSE, no overlap, fds and RSS steady', async () => {
  const result = await runSoak({ restarts: 100 });
  expect(result).toMatchObject({ surviving: 0, addressInUse: 0, overlaps: 0 });
  expect(result.fds.end).toBeLessThanOrEqual(result.fds.after50 * 1.1);
  expect(result.rssMB.end).toBeLessThanOrEqual(result.rssMB.after50 * 1.1);
}, 180_000);
