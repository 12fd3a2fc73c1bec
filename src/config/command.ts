// A command line given as one string (`exec: "python -u app.py"`), split into its words without a shell.

/** A command line split into words on spaces; a backslash before a space keeps it in the word (as execa's parseCommandString). */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  for (const part of command.trim().split(/ +/)) {
    const last = words.at(-1);
    if (last?.endsWith('\\')) words[words.length - 1] = `${last.slice(0, -1)} ${part}`;
    else if (part !== '') words.push(part);
  }
  return words;
}
