// nodemon's config, translated key by key into devsup's options.
import { describe, expect, it } from 'vitest';
import { fromNodemon } from '../../src/config/nodemon.js';

describe('fromNodemon', () => {
  it('translates what devsup can take over and names the rest', () => {
    const { values, unsupported, taken } = fromNodemon({
      script: 'server.js',
      watch: 'src',
      ignore: ['*.test.js', 'fixtures/*'],
      ext: 'js, json',
      delay: '500',
      signal: 'SIGINT',
      env: { NODE_ENV: 'development', PORT: 3000 },
      verbose: true,
      legacyWatch: true,
      pollingInterval: 250,
      exitcrash: true,
      execMap: { rb: 'ruby' },
      events: { restart: 'echo' },
    });
    expect(values).toEqual({
      entry: 'server.js',
      watch: ['src'],
      ignore: ['*.test.js', 'fixtures/*'],
      ext: ['js', 'json'],
      quietPeriod: 500,
      signal: 'SIGINT',
      env: { NODE_ENV: 'development', PORT: '3000' },
      logLevel: 'debug',
      poll: 250,
      onCrash: 'exit',
    });
    expect(unsupported).toEqual(['execMap', 'events']);
    expect(taken).toEqual(['delay "500" = 500 ms']);
  });

  it.each([[2500, 2500], ['2500', 2500], ['2.5', 2.5]])('delay %j is %j ms, as nodemon reads nodemon.json', (delay, ms) => {
    expect(fromNodemon({ delay }).values.quietPeriod).toBe(ms);
  });

  it('names a delay nodemon would not read as one', () => {
    expect(fromNodemon({ delay: '500ms' })).toEqual({
      values: {},
      taken: [],
      unsupported: ['delay "500ms" (nodemon.json\'s delay is milliseconds, e.g. 500; nodemon ignores this one too)'],
    });
  });

  it.each([['*.pde', ['pde']], ['.js .mjs', ['js', 'mjs']]])('ext %j → %j', (ext, expected) => {
    expect(fromNodemon({ ext }).values.ext).toEqual(expected);
  });
});
