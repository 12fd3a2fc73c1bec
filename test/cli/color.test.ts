// Colour and glyphs by the environment (issue 14): FORCE_COLOR on a pipe, NO_COLOR, --color / --no-color, and ASCII
// for `→ · … ✓` on a terminal whose locale is not UTF-8, or TERM=dumb. Real devsup processes, stderr piped.
import { beforeAll, describe, expect, it } from 'vitest';
import { asciiGlyphs, showsUnicode } from '../../src/supervisor/narrator.js';
import { freePort, Project } from '../helpers/harness.js';

const RED = '\x1b[31m';

// This worker's own env (vitest's FORCE_COLOR among it) is what each devsup inherits: none of the colour variables.
beforeAll(() => {
  delete process.env.FORCE_COLOR;
  delete process.env.NO_COLOR;
});

async function firstError(args: string[], env: Record<string, string>): Promise<string> {
  const project = new Project('plain-sigterm.mjs');
  const devsup = project.run(args, { env });
  await devsup.exited;
  return devsup.stderr;
}

describe('colour', () => {
  it('FORCE_COLOR colours a piped log; NO_COLOR and --no-color do not; --color does', async () => {
    expect(await firstError(['nope.mjs'], {})).not.toContain('\x1b[');
    expect(await firstError(['nope.mjs'], { FORCE_COLOR: '1' })).toContain(`${RED}[devsup] error: entry not found: nope.mjs`);
    expect(await firstError(['nope.mjs'], { FORCE_COLOR: '0' })).not.toContain('\x1b[');
    expect(await firstError(['nope.mjs'], { FORCE_COLOR: '1', NO_COLOR: '1' })).not.toContain('\x1b[');
    expect(await firstError(['--no-color', 'nope.mjs'], { FORCE_COLOR: '1' })).not.toContain('\x1b[');
    expect(await firstError(['--color', 'nope.mjs'], { NO_COLOR: '1' })).toContain(RED);
  });
});

describe('glyphs', () => {
  it('are ASCII where the locale is not UTF-8, or TERM=dumb; else as they are', () => {
    expect(showsUnicode({ LANG: 'C.UTF-8' }, 'linux')).toBe(true);
    expect(showsUnicode({ LANG: 'en_US.utf8' }, 'linux')).toBe(true);
    expect(showsUnicode({}, 'linux')).toBe(true);
    expect(showsUnicode({ LANG: 'C' }, 'linux')).toBe(false);
    expect(showsUnicode({ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' }, 'linux')).toBe(false);
    expect(showsUnicode({ LANG: 'en_US.UTF-8', TERM: 'dumb' }, 'linux')).toBe(false);
    expect(showsUnicode({}, 'win32')).toBe(false);
    expect(showsUnicode({ WT_SESSION: 'x' }, 'win32')).toBe(true);
    expect(asciiGlyphs('a → b · c… ✓')).toBe('a -> b - c... ok');
  });

  const envs: Record<string, string>[] = [{ LANG: 'C', LC_ALL: '', LC_CTYPE: '' }, { LANG: 'C.UTF-8', LC_ALL: '', LC_CTYPE: '', TERM: 'dumb' }];
  for (const env of envs) {
    // The fallback is for a terminal; piped (a log file, CI), the words stay as they are, whatever the locale says.
    it(`keeps the glyphs when stderr is piped, even with ${JSON.stringify(env)}`, async () => {
      const project = new Project('plain-sigterm.mjs');
      const devsup = project.run([project.entry, '--ready-timeout', '200'], { env: { PORT: String(await freePort()), ...env } });
      await devsup.waitForLine(/^\[devsup\] ready /);
      project.setVersion(2);
      const line = await devsup.waitForLine(/restart #1: /);
      expect(line).toMatch(/^\[devsup\] restart #1: change in version\.mjs · teardown \d+ ms · started \(no ready\(\) call\)$/);
      devsup.process.kill('SIGTERM');
      await devsup.exited;
    });
  }
});
