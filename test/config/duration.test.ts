// nodemon's delay as devsup's milliseconds.
import { describe, expect, it } from 'vitest';
import { parseDelay } from '../../src/config/duration.js';

describe('parseDelay (nodemon)', () => {
  it.each([
    ['2.5', 2500],
    ['1', 1000],
    ['250ms', 250],
    [400, 400],
    ['soon', 'soon'],
  ] as const)('%j → %j', (input, output) => {
    expect(parseDelay(input)).toBe(output);
  });
});
