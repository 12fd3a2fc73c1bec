// A module Node reported loading (WATCH_REPORT_DEPENDENCIES), as an absolute path. Shared by devsup (parse.ts)
// and the preload (child/guard.ts), so Node built-ins only.
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A module Node reported loading, as an absolute path: `watch:import` gives URLs (`file:///src/a.ts`), `watch:require`
 * file names (or null for Node's own). Loaders add queries (tsx: `a.ts?tsx-…`, even percent-encoded into the path).
 */
export function modulePath(reported: unknown): string | undefined {
  if (typeof reported !== 'string' || reported === '') return undefined;
  let path = reported;
  if (reported.startsWith('file:')) {
    try {
      // Without a query or fragment (most reports), the string converts as is: cheaper, and the preload does this
      // once per module the app loads.
      if (!/[?#]/.test(reported)) return fileURLToPath(reported);
      const url = new URL(reported);
      url.search = '';
      url.hash = '';
      path = fileURLToPath(url);
    } catch {
      return undefined;
    }
  } else if (!isAbsolute(reported)) {
    return undefined; // node:fs, data:, a bare name
  }
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}
