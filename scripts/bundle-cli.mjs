// The CLI as one file: devsup's own modules bundled into dist/cli/main.js (packages stay external), so that its start
// reads and compiles one file instead of some forty. The library entries (dist/index.js, devsup/child) stay as tsc
// built them. Measured in bench/ (first start) and with `node dist/cli/main.js --version` against `node -e 0`.
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url).pathname;
await build({
  entryPoints: [entry],
  outfile: `${entry}.bundle`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
renameSync(`${entry}.bundle`, entry);
rmSync(`${entry}.map`, { force: true }); // tsc's map no longer matches the file
