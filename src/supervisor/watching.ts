// The supervisor's watcher: chokidar over the WatchSet of its options (loaded after the first spawn: chokidar and
// picomatch are ~30 ms that the app need not wait for), or, with watch: false, one that watches nothing and only
// keeps the module graph for notify(). Changes go to `changed`, the end of a burst to `settled`.
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { Options } from '../config/schema.js';
import type { SupervisorEvents } from '../core/events.js';
import { WATCHED_BY_DEFAULT, watchTargets } from '../watch/targets.js';
import type { Watcher } from '../watch/watcher.js';
import type { Shell } from './effects.js';
import type { Logger } from './logger.js';

export interface WatchLink {
  options: Options;
  log: Logger;
  emitter: EventEmitter<SupervisorEvents>;
  shell: Shell;
  closed: () => boolean;
  changed: (paths: string[]) => void;
  settled: () => void;
}

export async function startWatching(link: WatchLink): Promise<void> {
  const { options, log, emitter, shell } = link;
  const { WatchSet } = await import('../watch/watch-set.js');
  if (link.closed()) return;
  const { cwd, ignore, ext, quietPeriod, poll } = options;
  const targets = watchTargets(options);
  const set = new WatchSet({ root: cwd, watch: targets.watch, named: targets.named, ignore, ext });
  let watcher: Watcher;
  if (!options.watcher) {
    const { staticWatcher } = await import('../watch/static-watcher.js');
    watcher = staticWatcher(set);
  } else {
    const { startWatcher } = await import('../watch/watcher.js');
    if (link.closed()) return;
    let limitSaid = false;
    watcher = startWatcher({
      set,
      quietMs: quietPeriod,
      poll,
      freshness: shell.freshness,
      onChange: (paths) => link.changed(paths),
      onSettled: (paths) => {
        emitter.emit('settled', { paths });
        link.settled();
      },
      onIgnored: (path, rule) => {
        log.debug({ path, rule }, `ignored ${path} (${rule})`);
        emitter.emit('ignored', { path, rule });
      },
      onError: (error) => {
        if (error.code !== 'ENOSPC') return log.error({ err: error }, `watcher: ${error.message} (devsup keeps running; changes under that path may be missed)`);
        // Every watch after the limit fails alike: said once, each further path only with --verbose.
        if (limitSaid) return log.debug({ err: error }, `watcher: ${error.message}`);
        limitSaid = true;
        const hint = 'the inotify watch limit is reached: raise it with sudo sysctl fs.inotify.max_user_watches=524288, ignore large folders, or use --poll';
        log.error({ err: error }, `watcher: ${error.message} (${hint})`);
      },
    });
  }
  shell.watcher = watcher;
  for (const files of shell.loadedEarly.splice(0)) watcher.addLoaded(files);
  if (!options.watcher) return log.debug('not watching files (watch: false): notify() and restart() say when to restart');
  void watcher.ready.then(() => {
    const shown = [
      ...(targets.graph ? ['the files the app loads'] : []),
      ...targets.watch.map((p) => relative(cwd, p) || '.'),
      WATCHED_BY_DEFAULT.join(', '),
    ];
    const polling = options.poll === false ? '' : ` (polling every ${options.poll} ms)`;
    log.info({ watch: targets.watch, named: targets.named }, `watching ${shown.join(', ')}${polling}`);
  });
}

/** Of these paths (absolute, or relative to cwd), those the watcher covers and the running app does not have. */
export function concerned(shell: Pick<Shell, 'watcher' | 'freshness'>, cwd: string, paths: readonly string[]): string[] {
  const { watcher, freshness } = shell;
  if (!watcher) return [];
  const out: string[] = [];
  for (const p of paths) {
    const file = resolve(cwd, p);
    if (!watcher.watches(file)) continue;
    let ctimeMs: number | undefined;
    try {
      ctimeMs = statSync(file).ctimeMs;
    } catch {
      ctimeMs = undefined; // deleted: a change too
    }
    freshness.changed(file, ctimeMs);
    if (!freshness.inApp(file)) out.push(relative(cwd, file));
  }
  return out;
}
