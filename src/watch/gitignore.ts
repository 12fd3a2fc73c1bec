// The project's .gitignore files (the root one and nested ones), with git's own semantics (the `ignore` package):
// what git does not track is usually what the app or its tools write — logs, databases, build output — and should
// never restart it. Each folder's file is read once, the first time a path below it is looked at.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export class GitIgnores {
  readonly #root: string;
  readonly #byDir = new Map<string, Ignore | null>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Whether git would ignore this path (relative to the root, '/' separators; `isDir` for folder-only rules). */
  ignores(relativePath: string, isDir = false): boolean {
    if (relativePath === '' || relativePath.startsWith('..')) return false;
    const segments = relativePath.split('/');
    // Every folder from the root down to the path's parent may have a .gitignore; each applies below itself.
    for (let depth = 0; depth < segments.length; depth++) {
      const dir = segments.slice(0, depth).join('/');
      const rules = this.#rules(dir);
      if (!rules) continue;
      const below = segments.slice(depth).join('/');
      if (rules.ignores(isDir ? `${below}/` : below)) return true;
    }
    return false;
  }

  /** Forgets a folder's rules (its .gitignore changed). */
  forget(relativeDir: string): void {
    this.#byDir.delete(relativeDir);
  }

  #rules(dir: string): Ignore | null {
    let rules = this.#byDir.get(dir);
    if (rules === undefined) {
      const file = join(this.#root, dir, '.gitignore');
      rules = existsSync(file) ? ignore().add(readFileSync(file, 'utf8')) : null;
      this.#byDir.set(dir, rules);
    }
    return rules;
  }
}
