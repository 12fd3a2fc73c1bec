// Line prefixing of a services run: whole lines, across chunks; colour only on a terminal without NO_COLOR. Pure.
import { describe, expect, it } from 'vitest';
import { label, linePrefixer, wantsColour } from '../../src/services/prefix.js';

const run = async (chunks: string[]) => {
  const t = linePrefixer('api | ');
  let out = '';
  t.on('data', (c: Buffer) => (out += c.toString()));
  for (const c of chunks) t.write(c);
  t.end();
  await new Promise((r) => t.on('end', r));
  return out;
};

describe('prefix', () => {
  it('prefixes each line once, however the chunks split it; a last line without newline at the end', async () => {
    expect(await run(['one\ntw', 'o\n\nthr', 'ee'])).toBe('api | one\napi | two\napi | \napi | three\n');
  });

  it('passes on a line without newline after a moment (a prompt)', async () => {
    const t = linePrefixer('w | ', 20);
    let out = '';
    t.on('data', (c: Buffer) => (out += c.toString()));
    t.write('password: ');
    await new Promise((r) => setTimeout(r, 60));
    expect(out).toBe('w | password: \n');
  });

  it('colours only a terminal with colours, and never with NO_COLOR', () => {
    const tty = { isTTY: true, hasColors: () => true } as never;
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour({ isTTY: false } as never, {})).toBe(false);
    expect(label('api', 0, 6, false)).toBe('api   ');
    expect(label('api', 0, 6, true)).toBe('\x1b[36mapi   \x1b[39m');
  });
});
