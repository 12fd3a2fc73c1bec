// docs/recipes.md shows the recipes' code: each block marked `<!-- fixture: path -->` is that fixture file, whole, so
// that what a person copies is what the recipe tests run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers/harness.js';

it('every code block of docs/recipes.md marked with a fixture is that fixture, as it is', () => {
  const doc = readFileSync(join(ROOT, 'docs/recipes.md'), 'utf8');
  const marked = [...doc.matchAll(/<!-- fixture: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)];
  expect(marked.map(([, path]) => path)).toHaveLength(doc.split("<!-- fixture:").length - 1); // every marker is followed by its block
  expect(marked.length).toBeGreaterThanOrEqual(9);
  for (const [, path, code] of marked) expect(code, path).toBe(readFileSync(join(ROOT, path!), 'utf8').trimEnd());
});
