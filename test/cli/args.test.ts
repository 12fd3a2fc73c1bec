// The command line as a table: argv → the options layer it means (the same keys as supervisor.config.ts).
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';

const defined = (values: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));

describe('parseArgs', () => {
  it.each([
    [['run', 'src/server.ts'], { entry: 'src/server.ts' }],
    [['run', 'src/server.ts', '--', '--port', '3000'], { entry: 'src/server.ts', args: ['--port', '3000'] }],
    [['src/server.ts'], { entry: 'src/server.ts' }],
    [[], {}],
    [['--stop-timeout', '700'], { stopTimeout: 700 }],
    [['--', '--port', '3000'], { args: ['--port', '3000'] }],
    [['-L', 'a.js'], { entry: 'a.js', poll: true }],
    [['--legacy-watch', '-P', '250', 'a.js'], { entry: 'a.js', poll: 250 }],
    [['a.js', '--exitcrash', '-I', '-q'], { entry: 'a.js', onCrash: 'exit', restartable: false, logLevel: 'warn' }],
    [['a.js', '-s', 'SIGINT', '-d', '2'], { entry: 'a.js', signal: 'SIGINT', quietPeriod: 2000 }],
    [['-L', '-r', 'tsconfig-paths/register', 'src/app/index.ts', '--watch', 'src/**/*.{ts,js}'], { entry: 'src/app/index.ts', poll: true, nodeArgs: ['-r', 'tsconfig-paths/register'], watch: ['src/**/*.{ts,js}'] }],
    [['a.ts', '--inspect', '--inspect-brk=9230', '--require=./x.cjs', '--import', 'tsx', '--env-file', '.env', '--enable-source-maps', '--conditions', 'dev', '--max-old-space-size=4096'],
      { entry: 'a.ts', nodeArgs: ['--inspect', '--inspect-brk=9230', '--require=./x.cjs', '--import', 'tsx', '--env-file', '.env', '--enable-source-maps', '--conditions', 'dev', '--max-old-space-size=4096'] }],
    [['a.ts', '--inspect', '--node-arg=--trace-gc'], { entry: 'a.ts', nodeArgs: ['--inspect', '--trace-gc'] }],
    [['a.ts', '--', '--inspect'], { entry: 'a.ts', args: ['--inspect'] }],
    [['a.ts', '--ignore=-r'], { entry: 'a.ts', ignore: ['-r'] }],
    [['run', 'a.ts', '--stop-timeout', '100', '--kill-grace=50', '--ready-timeout', '7'], { entry: 'a.ts', stopTimeout: 100, killGrace: 50, readyTimeout: 7 }],
    [['run', 'a.ts', '--stop-timeout', '5s'], { entry: 'a.ts', stopTimeout: '5s' }],
    [['run', 'a.js', '-w', 'src', '--watch', 'lib', '-i', '*.test.js', '-e', 'js,json'], { entry: 'a.js', watch: ['src', 'lib'], ignore: ['*.test.js'], ext: 'js,json' }],
    [['run', 'a.js', '-e', 'js', '-e', 'json'], { entry: 'a.js', ext: 'js,json' }],
    [['run', 'a.js', '--delay', '2.5'], { entry: 'a.js', quietPeriod: 2500 }],
    [['run', 'a.js', '--delay', '300ms'], { entry: 'a.js', quietPeriod: 300 }],
    [['run', 'a.js', '--delay', '1', '--debounce', '20'], { entry: 'a.js', debounce: 20 }],
    [['a.js', '--quiet-period', '150'], { entry: 'a.js', quietPeriod: 150 }],
    [['a.js', '--quiet-period', '150', '--delay', '3'], { entry: 'a.js', quietPeriod: 150 }],
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

  it.each([[['--help']], [['run', '--help']], [['help']], [['-h']]])('%j is help', (argv) => {
    expect(parseArgs(argv).command).toBe('help');
  });

  it.each([[['--version']], [['-v']]])('%j is the version', (argv) => {
    expect(parseArgs(argv).command).toBe('version');
  });

  it.each([
    [['run', 'a.ts', '--node-arg', '--inspect'], 'option --node-arg: a value that starts with "-" must be attached (write --node-arg=<value>)'],
    [['run', 'a.ts', '--stop-timeout'], 'option --stop-timeout needs a value (see devsup --help)'],
    [['run', 'a.ts', '--stop-timout=5'], 'unknown option --stop-timout (did you mean --stop-timeout?)'],
    [['run', 'app.py', '--pyhton', 'python3'], 'unknown option --pyhton (did you mean --python?)'],
    [['run', 'app.py', '--python'], 'option --python needs a value (see devsup --help)'],
    [['run', 'a.ts', '-z'], 'unknown option -z (an argument for the app goes after --: devsup <entry> -- -z; a flag for node goes through --node-arg=-z)'],
    [['run', 'a.ts', '--trace-gc'], 'unknown option --trace-gc (an argument for the app goes after --: devsup <entry> -- --trace-gc; a flag for node goes through --node-arg=--trace-gc)'],
    [['a.ts', '-w'], 'option -w/--watch needs a value (see devsup --help)'],
    [['a.ts', '-i', '-r'], 'option -i/--ignore: a value that starts with "-" must be attached (write --ignore=<value>)'],
    [['a.ts', '-r'], 'node option -r needs a value (e.g. -r ./preload.cjs)'],
  ])('%j is a usage error', (argv, line) => {
    expect(() => parseArgs(argv)).toThrowError(expect.objectContaining({ line, exitCode: 2 }));
  });

  it('passes --config through', () => {
    expect(parseArgs(['run', '--config', 'dev.config.ts']).configFile).toBe('dev.config.ts');
  });
});
