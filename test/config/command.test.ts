// A command line given as one string, split as a POSIX shell would (quotes, escapes), and whether it needs one.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/config/command.js';

describe('parseCommand', () => {
  it.each([
    ['python -u app.py', ['python', '-u', 'app.py']],
    ["  node q.mjs 'hello world'  ", ['node', 'q.mjs', 'hello world']],
    ['node q.mjs "hello world" "a\\"b" "$"', ['node', 'q.mjs', 'hello world', 'a"b', '$']],
    ['node my\\ app.js', ['node', 'my app.js']],
    ["echo 'it'\\''s' x''y \"\"", ['echo', "it's", 'xy', '']],
    ['node --title="my app"', ['node', '--title=my app']],
    ['node a.js --x="1 && 2"', ['node', 'a.js', '--x=1 && 2']],
  ])('%j → %j', (command, words) => {
    expect(parseCommand(command)).toEqual({ words, shell: undefined });
  });

  it.each([
    ['node --version && node src/server.js', '&&'],
    ['npm run build || exit 1', '||'],
    ['tsc; node dist/a.js', ';'],
    ['node a.js | pino-pretty', '|'],
    ['node a.js > out.log', '>'],
    ['PORT=3000 node a.js', 'PORT='],
    ['node $ENTRY', '$'],
    ['node `which app`', '`'],
    ['node src/*.js', '*'],
    ['node ~/a.js', '~'],
    ['node a.js &', '&'],
  ])('%j needs a shell (%s)', (command, why) => {
    expect(parseCommand(command).shell).toBe(why);
  });

  it('refuses an unterminated quote', () => {
    expect(() => parseCommand("node 'a.js")).toThrowError(expect.objectContaining({ line: expect.stringContaining('unterminated') }));
  });
});
