// npm run soak [-- <restarts>]: restarts a fixture (an HTTP server, a grandchild, a 20 ms cleanup) 1,000 times
// through real file edits, then checks: no surviving process, no EADDRINUSE, no two children at once, and devsup's
// open file descriptors and RSS within 10% of their values after the first 50 restarts. The last line states it.
import { runSoak } from '../test/helpers/soak.js';

const restarts = Number(process.argv[2] ?? 1000);
const result = await runSoak({ restarts, progress: (n) => n % 100 === 0 && process.stdout.write(`  ${n} restarts\n`) });
console.log(JSON.stringify(result, null, 2));
console.log(
  `soak: ${result.restarts} restarts in ${(result.ms / 1000).toFixed(1)} s · surviving processes ${result.surviving} · ` +
    `EADDRINUSE ${result.addressInUse} · overlapping children ${result.overlaps} · fds ${result.fds.after50} → ${result.fds.end} · ` +
    `RSS ${result.rssMB.after50} → ${result.rssMB.end} MB · ${result.ok ? 'OK' : 'FAILED'}`,
);
process.exit(result.ok ? 0 : 1);
