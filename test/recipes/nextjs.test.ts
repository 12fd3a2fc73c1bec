// The Next.js custom server recipe, with Next 16 in dev mode (Turbopack): a page edit is Next's to reload (no
// restart), an edit of the server's own code restarts it, and Next's app.close() runs as a cleanup.
// Next (with its compiler, about 340 MB) is not one of devsup's dependencies: .ci/run installs it into its cache, where
// this test finds it (`npm install --prefix ~/.cache/devsup-ci/next-16.4.6 next@16.4.6 react@19.3.1 react-dom@19.3.1`
// to run it locally). The project is made inside that folder, beside its node_modules, as a real one would be: Next
// compiles nothing outside the project's root.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, sleep } from '../helpers/harness.js';
import { runRecipe } from '../helpers/recipe.js';

const NEXT_DIR = process.env.DEVSUP_NEXT_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'devsup-ci/next-16.4.6');
const installed = existsSync(join(NEXT_DIR, 'node_modules/next/package.json'));

describe('recipes', () => {
  it.skipIf(!installed)('Next.js custom server: a page edit is Next\'s (no restart), a server edit restarts, app.close() is a cleanup', async () => {
    const project = new Project('recipes/nextjs', 'server.mjs', [], [], NEXT_DIR);
    const env = { NEXT_TELEMETRY_DISABLED: '1' };
    const page = async (port: number) => (await fetch(`http://127.0.0.1:${port}/`)).text();
    const devsup = await runRecipe({
      fixture: 'nextjs', entry: 'server.mjs', edited: 'api.mjs', path: '/api/hello', run: { env },
      cleanups: /^\[devsup\] cleanups: http server \d+ ms, next \d+ ms$/,
      // Next 16's app.close() leaves its own watchers (of next.config and the .env files) open, and some timers of
      // its own, as many as were pending when it closed: said, as it is.
      leftOpen: /^\[devsup\] teardown left open: 2 file watchers(, \d+ timers?)? — is a cleanup missing\?$/,
      // Before the server edit: a page edit, which Next reloads by itself.
      beforeEdit: async (port) => {
        expect(await page(port)).toContain('a page');
        const file = join(project.dir, 'app/page.jsx');
        writeFileSync(file, readFileSync(file, 'utf8').replace('a page', 'an edited page'));
        for (let served = ''; !served.includes('an edited page'); served = await page(port)) await sleep(100);
      },
    }, project);
    expect(devsup.matching(/restart #/)).toHaveLength(1);
  }, 120_000);
});
