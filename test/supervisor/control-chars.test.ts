// File names with newlines and escape sequences (issue 16): devsup prints them escaped, so none forges a line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/supervisor/narrator.js';
import { freePort, Project } from '../helpers/harness.js';

describe('control characters in names', () => {
  it('a file named "x\\n[devsup] ready in 1 ms.mjs" prints one escaped line, no forged one', async () => {
    const project = new Project('plain-sigterm.mjs');
    const forged = 'x\n[devsup] ready in 1 ms.mjs';
    writeFileSync(join(project.dir, forged), 'export {};\n');
    const devsup = project.run([project.entry, '--watch-all'], { env: { PORT: String(await freePort()) } });
    await devsup.ready();
    writeFileSync(join(project.dir, forged), 'export default 2;\n');
    await devsup.waitForLine(/restart #1: /);
    expect(devsup.lines().some((l) => l.includes('change in x\\n[devsup] ready in 1 ms.mjs'))).toBe(true);
    expect(devsup.matching(/^\[devsup\] ready in 1 ms\.mjs/)).toEqual([]);
  });

  it('an entry named with a newline and an escape sequence is printed escaped', async () => {
    const entry = 'app\n[devsup] restart #9: forged\x1b[2J.mjs';
    const project = new Project('plain-sigterm.mjs', entry);
    const devsup = project.run([entry], { env: { PORT: String(await freePort()) } });
    await devsup.ready();
    expect(devsup.stderr).toContain('started app\\n[devsup] restart #9: forged\\x1b[2J.mjs');
    expect(devsup.matching(/^\[devsup\] restart #9/)).toEqual([]);
    expect(devsup.stderr).not.toContain('\x1b[2J');
  });

  it('printable escapes C0, DEL, C1 and the line separators, and leaves the rest', () => {
    expect(printable('a\nb\rc\td\x00e\x7f\x9b\u2028f é 🙂')).toBe('a\\nb\\rc\\td\\x00e\\x7f\\x9b\\u2028f é 🙂');
  });
});
