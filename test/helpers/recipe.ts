// Runs a recipe of docs/recipes.md (a fixture project, fixtures/recipes/<name>) as its user would: started, asked over
// HTTP, edited once, asked again, stopped with Ctrl-C. What must hold for every one: the edit is served, the cleanups
// ran at the restart and at Ctrl-C, nothing was left open, and no process of the app is left.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { freePort, isAlive, Project, until, type Devsup, type RunOptions } from './harness.js';

const answer = async (port: number, path = '/') => (await fetch(`http://127.0.0.1:${port}${path}`)).text();

function edit(project: Project, file: string, from: string, to: string): void {
  const path = join(project.dir, file);
  const text = readFileSync(path, 'utf8');
  expect(text, file).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

export interface Recipe {
  /** fixtures/recipes/<fixture>, and the entry given to devsup. */
  fixture: string;
  /** The entry on devsup's command line (none: the recipe's config names it). */
  entry?: string;
  /** Packages the recipe installs (from devsup's own node_modules). */
  link?: string[];
  args?: string[];
  run?: RunOptions;
  /** The edit a person makes: in this file (of the project), this text for that; `shown` as devsup names it. */
  edited: string;
  shown?: string;
  from?: string;
  to?: string;
  /** The cleanups line devsup says at each stop. */
  cleanups: RegExp;
  /** What the recipe asks for over HTTP (default /). */
  path?: string;
  /** What devsup says is left open at each stop, when the framework leaves something (default: nothing). */
  leftOpen?: RegExp;
  /** What the recipe checks once the app serves, before the edit. */
  beforeEdit?: (port: number) => Promise<void>;
}

/** Runs a recipe through start, one edit and Ctrl-C; returns devsup, for what a recipe checks beyond that. */
export async function runRecipe(recipe: Recipe, project = new Project(`recipes/${recipe.fixture}`, recipe.entry, [], recipe.link)): Promise<Devsup> {
  const port = await freePort();
  const devsup = project.run([...(recipe.entry ? [recipe.entry] : []), '--events', project.lifecycleFile, ...(recipe.args ?? [])], {
    ...recipe.run,
    env: { PORT: String(port), ...recipe.run?.env },
  });
  await devsup.waitForLine(/^\[devsup\] ready in \d+ ms$/, 1, 60_000);
  expect(await answer(port, recipe.path)).toBe(recipe.from ?? 'hello');
  await recipe.beforeEdit?.(port);
  edit(project, recipe.edited, recipe.from ?? 'hello', recipe.to ?? 'hello again');
  const shown = (recipe.shown ?? recipe.edited).replace(/[.]/g, '\\.');
  await devsup.waitForLine(new RegExp(`^\\[devsup\\] restart #1: change in ${shown} · `), 1, 60_000);
  expect(await answer(port, recipe.path)).toBe(recipe.to ?? 'hello again');
  devsup.process.kill('SIGINT');
  expect((await devsup.exited).code).toBe(0); // the app's own: its cleanups ran and it exited 0
  expect(devsup.matching(/^\[devsup\] cleanups: /)).toEqual([expect.stringMatching(recipe.cleanups), expect.stringMatching(recipe.cleanups)]);
  expect(devsup.matching(/EADDRINUSE|is in use|stop timeout|SIGKILL/)).toEqual([]);
  const open = devsup.matching(/teardown left open/);
  if (recipe.leftOpen) expect(open).toEqual([expect.stringMatching(recipe.leftOpen), expect.stringMatching(recipe.leftOpen)]);
  else expect(open).toEqual([]);
  const pids = project.lifecycle('started').map((e) => e.pid as number);
  expect(pids).toHaveLength(2);
  await until('every app process to be gone', () => pids.every((pid) => !isAlive(pid)), 5000);
  return devsup;
}
