// 200,000 ignore globs (issue 16): compiled once into one matcher, devsup starts and stays small, and they still work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort, Project } from '../helpers/harness.js';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

describe('huge ignore lists', () => {
  it('200,000 globs: watching within 20 s, RSS under 250 MB, an ignored file is ignored, a change still seen', async () => {
    const project = new Project('plain-sigterm.mjs');
    project.write('supervisor.config.mjs', [
      'export default {',
      `  entry: ${JSON.stringify(project.entry)},`,
      '  watchAll: true,',
      '  ignore: [',
      '    ...Array.from({ length: 100000 }, (_, i) => `gen${i}/**/*.tmp`),',
      '    ...Array.from({ length: 99998 }, (_, i) => `*.gen${i}`),',
      "    'literal-dir', 'data/uploads',",
      '  ],',
      '};',
    ].join('\n'));
    const devsup = project.run(['--events', project.lifecycleFile], { env: { PORT: String(await freePort()) } });
    await devsup.waitForLine(/watching/, 1, 20_000);
    await project.waitFor('start');
    expect(rssMb(devsup.pid)).toBeLessThan(250);
    project.write('notes.gen777', 'x');
    await project.waitForIgnored('notes.gen777', 'an ignored name (built-in or ignore)');
    project.write('other.mjs', 'export default 1;\n');
    await devsup.waitForLine(/restart #1: change in other\.mjs/);
    expect(rssMb(devsup.pid)).toBeLessThan(250);
  });
});
