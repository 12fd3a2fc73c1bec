// A command line given as one string (`exec: "python -u app.py"`), split into its words as a POSIX shell would, and
// whether it needs a shell at all (nodemon runs every exec through one; devsup only one that has shell syntax).
//
// Neither execa's parseCommandString (spaces and a backslash before a space; quotes are kept as characters) nor
// string-argv (no escapes, no shell syntax seen) split as a shell does; shell-quote does, but expands `$VAR` to ''
// unless given an environment and would be a new dependency for these 80 lines. Node has no such function.
import { DevsupError } from '../core/errors.js';

export interface ParsedCommand {
  /** The words, quotes and escapes removed. */
  words: string[];
  /**
   * The first piece of shell syntax outside quotes (`&&`, `|`, `;`, `>`, `$`, `*`, `VAR=` before the command, …):
   * the command means what it says only through a shell. Undefined when it has none.
   */
  shell: string | undefined;
}

const OPERATOR = /^(&&|\|\||;;|>>|<<|[|&;<>()\n])/;
const GLOB = new Set(['*', '?', '[']);

/** Splits a command line into words as sh does: '…' literal, "…" with \" \\ \$ \` escapes, \ outside quotes. */
export function parseCommand(command: string): ParsedCommand {
  const words: string[] = [];
  let shell: string | undefined;
  const need = (why: string) => (shell ??= why);
  let word: string | undefined; // undefined: between words
  const s = command;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    const atWordStart = word === undefined;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end === -1) throw unterminated(command, "'");
      word = (word ?? '') + s.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] === '\\' && '"\\$`\n'.includes(s[j + 1] ?? '')) text += s[++j];
        else {
          if (s[j] === '`' || (s[j] === '$' && /[\w{(@*#?$!-]/.test(s[j + 1] ?? ''))) need(s[j]!);
          text += s[j];
        }
      }
      if (j >= s.length) throw unterminated(command, '"');
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < s.length) word = (word ?? '') + s[++i];
    } else {
      const operator = OPERATOR.exec(s.slice(i))?.[1];
      if (operator) need(operator === '\n' ? 'a newline' : operator);
      else if (c === '$' || c === '`' || GLOB.has(c)) need(c);
      else if (atWordStart && (c === '~' || c === '#')) need(c);
      else if (c === '=' && words.length === 0 && word !== undefined && /^[A-Za-z_]\w*$/.test(word)) need(`${word}=`);
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, shell };
}

function unterminated(command: string, quote: string): DevsupError {
  return new DevsupError('CONFIG_INVALID', `exec has an unterminated ${quote}: ${command}`, { hint: `close the ${quote}, or escape it with \\` });
}
