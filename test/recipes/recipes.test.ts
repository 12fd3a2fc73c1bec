// The recipes of docs/recipes.md, each a fixture project (fixtures/recipes/<name>) run as its user would: see
// helpers/recipe.ts for what every one must show.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project } from '../helpers/harness.js';
import { runRecipe } from '../helpers/recipe.js';

describe('recipes', () => {
  it('Express: the server closed as a cleanup', async () => {
    await runRecipe({ fixture: 'express', entry: 'src/server.mjs', link: ['express'], edited: 'src/routes.mjs', cleanups: /^\[devsup\] cleanups: http server \d+ ms$/ });
  });

  it('Fastify: app.close() as the cleanup runs its onClose hooks', async () => {
    const devsup = await runRecipe({ fixture: 'fastify', entry: 'src/server.mjs', link: ['fastify'], edited: 'src/routes.mjs', cleanups: /^\[devsup\] cleanups: fastify \d+ ms$/ });
    expect(devsup.stdout.match(/fastify onClose hooks ran/g)).toHaveLength(2);
  });

  it('Docker, WSL, network drives: --poll sees the edit by polling', async () => {
    const devsup = await runRecipe({
      fixture: 'express', entry: 'src/server.mjs', link: ['express'], edited: 'src/routes.mjs', args: ['--poll', '100'],
      cleanups: /^\[devsup\] cleanups: http server \d+ ms$/,
    });
    expect(devsup.matching(/^\[devsup\] watching /)).toEqual([expect.stringMatching(/ \(polling every 100 ms\)$/)]);
  });

  it('a nodemon script as it is: devsup -L -r tsconfig-paths/register src/app/index.ts --watch "src/**/*.{ts,js}"', async () => {
    const devsup = await runRecipe({
      fixture: 'tsconfig-paths', entry: 'src/app/index.ts', link: ['tsconfig-paths'], edited: 'src/lib/greeting.ts',
      args: ['-L', '-r', 'tsconfig-paths/register', '--watch', 'src/**/*.{ts,js}'],
      cleanups: /^\[devsup\] cleanups: http server \d+ ms$/,
    });
    expect(devsup.matching(/^\[devsup\] watching /)).toEqual([expect.stringMatching(/^\[devsup\] watching the files the app loads, src\/\*\*\/\*\.\{ts,js\}, .* \(polling every 100 ms\)$/)]);
  });

  it('npm and pnpm workspaces: an edit of a linked workspace package restarts the app that uses it', async () => {
    const project = new Project('recipes/workspaces', 'src/server.mjs');
    // What `npm install` (and pnpm's) makes of a workspace dependency: a link to the package's folder.
    mkdirSync(join(project.dir, 'node_modules/@demo'));
    symlinkSync(join(project.dir, 'packages/shared'), join(project.dir, 'node_modules/@demo/shared'), 'junction');
    await runRecipe({
      fixture: 'workspaces', entry: 'src/server.mjs', run: { cwd: 'packages/api' }, edited: 'packages/shared/index.mjs', shown: '../shared/index.mjs',
      cleanups: /^\[devsup\] cleanups: http server \d+ ms$/,
    }, project);
  });
});
