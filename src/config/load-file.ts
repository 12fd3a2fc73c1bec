// The config file: finding the nearest supervisor.config.* and loading it (TypeScript through tsx) as an options layer.
import { accessSync, constants as constants_fs, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DevsupError } from '../core/errors.js';
import { show, type Layer } from './normalize.js';

const CONFIG_FILES = [
  'supervisor.config.ts',
  'supervisor.config.mts',
  'supervisor.config.js',
  'supervisor.config.mjs',
] as const;

/** The nearest supervisor.config.* in `dir` or above it, up to the package root (the first folder with a package.json). */
export function findConfigFile(dir: string): string | undefined {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = CONFIG_FILES.map((name) => join(at, name)).find((file) => existsSync(file));
    if (found) return found;
    if (existsSync(join(at, 'package.json')) || dirname(at) === at) return undefined;
  }
}

/** Loads a config file (TypeScript through tsx, no build step). Its default export is the config. */
export async function loadConfigFile(file: string): Promise<Layer> {
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path)) {
    throw new DevsupError('CONFIG_NOT_FOUND', `config file not found: ${path}`, {
      hint: 'check the --config path',
    });
  }
  if (statSync(path).isDirectory()) {
    throw new DevsupError('CONFIG_NOT_A_FILE', `config file is a directory: ${relativeName(path)}`, {
      hint: 'give --config a supervisor.config.ts file',
    });
  }
  try {
    accessSync(path, constants_fs.R_OK);
  } catch (error) {
    throw new DevsupError('CONFIG_UNREADABLE', `cannot read config file ${relativeName(path)}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
      hint: 'check its permissions',
    });
  }
  let loaded: { default?: unknown };
  try {
    if (/\.[mc]?ts$/.test(path)) {
      // Loaded lazily: runs without a config file, or with a .js one, never pay for the TypeScript loader.
      const { tsImport } = await import('tsx/esm/api');
      loaded = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
    } else {
      loaded = (await import(pathToFileURL(path).href)) as { default?: unknown };
    }
  } catch (error) {
    const where = locate(error, path);
    throw new DevsupError('CONFIG_LOAD_FAILED', `${where}: ${firstLine(error)}`, {
      hint: 'fix the config file; devsup reads it once at start',
      cause: error,
    });
  }
  const config = (loaded.default as { default?: unknown } | undefined)?.default ?? loaded.default;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new DevsupError('CONFIG_INVALID', `${path}: the default export must be a config object, got ${show(config)}`, {
      hint: 'export default defineConfig({ entry: "src/server.ts" })',
    });
  }
  return { source: relativeName(path), values: config as Record<string, unknown>, base: dirname(path) };
}

// The config file as the person would name it: relative to where they are, unless it is outside.
function relativeName(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // esbuild (through tsx) says "Transform failed with 1 error:" first and the useful part on a later line.
  const compile = /ERROR: (.*)/.exec(message);
  if (compile) return compile[1]!.trim();
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'failed to load';
}

// "file:line" from the error's stack or esbuild's location, when it points into the config file.
function locate(error: unknown, path: string): string {
  const name = relativeName(path);
  const stack = error instanceof Error ? `${error.stack ?? ''}\n${error.message}` : '';
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)`).exec(stack) ?? new RegExp(`${escaped.replace(/^.*\//, '')}:(\\d+)`).exec(stack);
  return match ? `${name}:${match[1]}` : name;
}
