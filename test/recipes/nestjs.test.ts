// The NestJS recipe: `nest start --watch` replaced by devsup's build step (tsc) and the compiled entry. Its cleanup,
// app.close(), runs Nest's own shutdown hooks at every restart and at Ctrl-C.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Project, ROOT } from '../helpers/harness.js';
import { runRecipe } from '../helpers/recipe.js';

const NEST = ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', 'reflect-metadata', 'rxjs', '@types/node', 'typescript'];

describe('recipes', () => {
  it('NestJS: built with tsc before each start; app.close() runs its shutdown hooks', async () => {
    const project = new Project('recipes/nestjs', undefined, [], NEST);
    // The tsc command that `npm install typescript` puts in node_modules/.bin (devsup puts that folder on the PATH).
    mkdirSync(join(project.dir, 'node_modules/.bin'));
    symlinkSync(join(ROOT, 'node_modules/typescript/bin/tsc'), join(project.dir, 'node_modules/.bin/tsc'));
    const devsup = await runRecipe({ fixture: 'nestjs', edited: 'src/app.service.ts', cleanups: /^\[devsup\] cleanups: nest app \d+ ms$/ }, project);
    expect(devsup.stdout.match(/nest shutdown hooks ran \(app\.close\(\)\)/g)).toHaveLength(2);
    // The restart line says what the build took, between the teardown and the new app's start.
    expect(devsup.matching(/^\[devsup\] restart #1: /)).toEqual([expect.stringMatching(/ · teardown \d+ ms · build \d+ ms · ready in \d+ ms$/)]);
  });
});
