// The CLI as few files: devsup's own modules bundled into dist/cli/main.js (packages stay external), so that its
// start reads and compiles one file instead of some forty. What devsup loads only after the first spawn (the watcher,
// with chokidar and picomatch) stays a chunk of its own, imported when needed. The library entries (dist/index.js,
// devsup/child) stay as tsc built them. Measured in bench/ (the tool's own start).
import { build } from 'esbuild';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const out = fileURLToPath(new URL('../dist/.bundle/', import.meta.url)); // beside dist/cli: a rename, never a copy across devices
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(cli, 'main.js')],
  outdir: out,
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const old of readdirSync(cli)) if (old.startsWith('chunk-') || old === 'main.js.map') rmSync(join(cli, old)); // tsc's map no longer matches
for (const file of readdirSync(out)) renameSync(join(out, file), join(cli, file));
rmSync(out, { recursive: true, force: true });
