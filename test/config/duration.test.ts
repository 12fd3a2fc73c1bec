// nodemon's delay as devsup's milliseconds, read exactly as nodemon 3.1 reads it: on its command line in seconds
// (or with "ms"), in nodemon.json in milliseconds.
import { describe, expect, it } from 'vitest';
import { parseDelay, parseConfigDelay } from '../../src/config/duration.js';

describe('parseDelay: nodemon --delay (lib/cli/parse.js)', () => {
  it.each([
    ['2.5', 2500],
    ['1', 1000],
    ['10', 10_000],
    ['250ms', 250],
    ['2500ms', 2500],
    ['2.5s', 2500],
    ['0', 0],
    ['soon', 'soon'],
  ] as const)('%j → %j', (input, output) => {
    expect(parseDelay(input)).toBe(output);
  });
});

describe('parseConfigDelay: nodemon.json delay (always milliseconds, given to setTimeout)', () => {
  it.each([
    [2500, 2500],
    ['2500', 2500],
    ['500', 500],
    [' 500 ', 500],
    ['2.5', 2.5],
    [0, 0],
  ] as const)('%j → %j ms', (input, output) => {
    expect(parseConfigDelay(input)).toBe(output);
  });

  it.each([['500ms'], ['2.5s'], ['soon'], [-1], [true]])('%j: no delay under nodemon, so not taken over', (input) => {
    expect(parseConfigDelay(input)).toBeUndefined();
  });
});
