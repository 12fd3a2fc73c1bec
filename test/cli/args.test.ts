// The command line as a table: argv → the options layer it means (the same keys as supervisor.config.ts).
import { describe, expect, it } from 'vitest';
import { parseArgs, parseDelay } from '../../src/cli/args.js';
import { normalize } from '../../src/config/config.js';
import { fromNodemon } from '../../src/config/nodemon.js';

const defined = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));

describe('parseArgs', () => {
  it.each([
    [['run', 'src/server.ts'], { entry: 'src/server.ts' }],
    [['run', 'src/server.ts', '--', '--port', '3000'], { entry: 'src/server.ts', args: ['--port', '3000'] }],
    [['src/server.ts'], { entry: 'src/server.ts' }],
    [['run', 'a.ts', '--stop-timeout', '100', '--kill-grace=50', '--ready-timeout', '7'], { entry: 'a.ts', stopTimeout: 100, killGrace: 50, readyTimeout: 7 }],
    [['run', 'a.ts', '--stop-timeout', '5s'], { entry: 'a.ts', stopTimeout: '5s' }],
    [['run', 'a.js', '-w', 'src', '--watch', 'lib', '-i', '*.test.js', '-e', 'js,json'], { entry: 'a.js', watch: ['src', 'lib'], ignore: ['*.test.js'], ext: 'js,json' }],
    [['run', 'a.js', '-e', 'js', '-e', 'json'], { entry: 'a.js', ext: 'js,json' }],
    [['run', 'a.js', '--delay', '2.5'], { entry: 'a.js', debounce: 2500 }],
    [['run', 'a.js', '--delay', '300ms'], { entry: 'a.js', debounce: 300 }],
    [['run', 'a.js', '--delay', '1', '--debounce', '20'], { entry: 'a.js', debounce: 20 }],
    [['run', 'a.js', '--poll'], { entry: 'a.js', poll: true }],
    [['run', 'a.js', '--poll', '500'], { entry: 'a.js', poll: 500 }],
    [['run', '--poll', 'a.js'], { entry: 'a.js', poll: true }],
    [['run', 'app.py', '-x', 'python -u', '--signal', 'SIGINT'], { entry: 'app.py', exec: 'python -u', signal: 'SIGINT' }],
    [['exec', '--', 'python', '-u', 'app.py'], { exec: ['python', '-u', 'app.py'] }],
    [['run', 'app.py', '--python', '.venv/bin/python', '--', '--port', '8000'], { entry: 'app.py', python: '.venv/bin/python', args: ['--port', '8000'] }],
    [['app.py', '--python=python3.11'], { entry: 'app.py', python: 'python3.11' }],
    [['exec', '--shell', '--', 'echo hi && sleep 9'], { exec: ['echo hi && sleep 9'], shell: true }],
    [['run', 'a.ts', '--node-arg=--inspect', '--node-arg=--enable-source-maps'], { entry: 'a.ts', nodeArgs: ['--inspect', '--enable-source-maps'] }],
    [['run', 'a.ts', '--dotenv', '.env.local', '--on-crash', 'restart', '--clear'], { entry: 'a.ts', envFile: '.env.local', onCrash: 'restart', clearScreen: true }],
    [['run', 'a.ts', '-V'], { entry: 'a.ts', logLevel: 'debug' }],
    [['run', 'a.ts', '-q', '--log-format', 'json'], { entry: 'a.ts', logLevel: 'warn', logFormat: 'json' }],
  ])('%j', (argv, values) => {
    const parsed = parseArgs(argv);
    expect(parsed.command).toBe('run');
    expect(defined(parsed.values)).toEqual(values);
  });

  it.each([[[]], [['--help']], [['run', '--help']], [['help']], [['-h']]])('%j is help', (argv) => {
    expect(parseArgs(argv).command).toBe('help');
  });

  it.each([[['--version']], [['-v']]])('%j is the version', (argv) => {
    expect(parseArgs(argv).command).toBe('version');
  });

  it.each([
    [['run', 'a.ts', '--node-arg', '--inspect'], 'option --node-arg: a value that starts with "-" must be attached (write --node-arg=<value>)'],
    [['run', 'a.ts', '--stop-timeout'], 'option --stop-timeout needs a value (see devsup run --help)'],
    [['run', 'a.ts', '--stop-timout=5'], 'unknown option --stop-timout (did you mean --stop-timeout?)'],
    [['run', 'app.py', '--pyhton', 'python3'], 'unknown option --pyhton (did you mean --python?)'],
    [['run', 'app.py', '--python'], 'option --python needs a value (see devsup run --help)'],
    [['run', 'a.ts', '-z'], 'unknown option -z (see devsup run --help; app arguments go after --)'],
  ])('%j is a usage error', (argv, line) => {
    expect(() => parseArgs(argv)).toThrowError(expect.objectContaining({ line, exitCode: 2 }));
  });

  it('passes --config through', () => {
    expect(parseArgs(['run', '--config', 'dev.config.ts']).configFile).toBe('dev.config.ts');
  });
});

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

describe('fromNodemon', () => {
  it('translates what devsup can take over and names the rest', () => {
    const { values, unsupported } = fromNodemon({
      script: 'server.js',
      watch: 'src',
      ignore: ['*.test.js', 'fixtures/*'],
      ext: 'js, json',
      delay: '500ms',
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
      debounce: 500,
      signal: 'SIGINT',
      env: { NODE_ENV: 'development', PORT: '3000' },
      logLevel: 'debug',
      poll: 250,
      onCrash: 'exit',
    });
    expect(unsupported).toEqual(['execMap', 'events']);
  });

  it.each([['*.pde', ['pde']], ['.js .mjs', ['js', 'mjs']]])('ext %j → %j', (ext, expected) => {
    expect(fromNodemon({ ext }).values.ext).toEqual(expected);
  });
});

describe('normalize, for the new keys', () => {
  const layer = (values: Record<string, unknown>) => ({ source: 'supervisor.config.ts', values, base: '/p' });
  it('splits an exec string like execa does, keeps an array as it is', () => {
    expect(normalize([layer({ exec: 'python -u app.py' })]).exec).toEqual(['python', '-u', 'app.py']);
    expect(normalize([layer({ exec: ['my tool', '--x'] })]).exec).toEqual(['my tool', '--x']);
    expect(normalize([layer({ exec: '  my\\ tool   --x ' })]).exec).toEqual(['my tool', '--x']);
  });
  it('normalizes extensions and polling', () => {
    expect(normalize([layer({ ext: '.TS, json' })]).ext).toEqual(['ts', 'json']);
    expect(normalize([layer({ poll: true })]).poll).toBe(100);
    expect(normalize([layer({ poll: 250 })]).poll).toBe(250);
    expect(normalize([layer({})]).poll).toBe(false);
  });
  it('rejects a hook that is not a function, or an unknown hook', () => {
    expect(() => normalize([layer({ hooks: { ready: 'yes' } })])).toThrow(
      'supervisor.config.ts: hooks must be an object of functions named start, ready, restart, crash, exit, got an object',
    );
    expect(() => normalize([layer({ hooks: { onReady: () => {} } })])).toThrow(/hooks must be an object of functions/);
  });
  it('lets command-line flags win over a nodemon.json', () => {
    const nodemon = { source: 'nodemon.json', values: fromNodemon({ delay: 2, signal: 'SIGINT' }).values, base: '/p' };
    const cli = { source: 'command line', values: { debounce: 10 }, base: '/p' };
    expect(normalize([nodemon, cli])).toMatchObject({ debounce: 10, signal: 'SIGINT' });
  });
});
