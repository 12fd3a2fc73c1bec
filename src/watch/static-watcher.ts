// A watcher that watches nothing (Config.watch false, the API): it keeps the module graph and the watch entries, so
// that supervisor.notify(paths) can say which paths concern the app, but no file system events come from it.
import { resolve } from 'node:path';
import { toPosix, type WatchSet } from './watch-set.js';
import type { Watcher } from './watcher.js';

export function staticWatcher(set: WatchSet): Watcher {
  return {
    ready: Promise.resolve(),
    addLoaded: (files) => set.addLoaded(files).length,
    isLoaded: (relativePath) => set.loaded.has(toPosix(resolve(set.root, relativePath))),
    watches: (file) => set.isWatched(file),
    close: async () => {},
  };
}
