// Symlinked folders met by the walk. A link to a folder that is watched already (`src/loop -> .`), to one of its
// parents (`src/d0/up -> <abs>/src`), or to a folder followed once already, is not followed: each would make
// chokidar walk the same files again under a longer name, without end (RSS grew ~50 MB/s). A link to a folder
// outside everything watched (a workspace package, a shared folder) is followed, once: a monorepo's linked code
// restarts the app as before. chokidar's `followSymlinks: false` would be simpler, but would stop watching those.
import { realpathSync } from 'node:fs';
import { toPosix } from './watch-set.js';

const within = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export class FolderLinks {
  /** Real paths walked: the roots, then each linked folder followed. */
  readonly #walked: string[];
  /** The verdict on each link met (chokidar asks about a path several times). */
  readonly #verdicts = new Map<string, boolean>();

  constructor(roots: readonly string[]) {
    this.#walked = roots.map((root) => {
      try {
        return toPosix(realpathSync(root));
      } catch {
        return toPosix(root);
      }
    });
  }

  /** Whether the walk skips this symlink (a folder already walked, or a parent of one). */
  skips(link: string): boolean {
    const known = this.#verdicts.get(link);
    if (known !== undefined) return known;
    let target: string | undefined;
    try {
      target = toPosix(realpathSync(link));
    } catch {
      target = undefined; // dangling: chokidar reports nothing under it
    }
    const loops = target !== undefined && this.#walked.some((dir) => within(target, dir) || within(dir, target));
    if (target !== undefined && !loops) this.#walked.push(target);
    this.#verdicts.set(link, loops);
    return loops;
  }

  /** Whether this path was judged a link (then the walk asks with its verdict, whatever the stats say). */
  judged(path: string): boolean | undefined {
    return this.#verdicts.get(path);
  }
}
