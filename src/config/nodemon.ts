// A drop-in path from nodemon: nodemon.json or package.json#nodemonConfig, read when a project has no devsup config,
// translated key by key into devsup's options. Keys with no devsup meaning are named, never silently dropped.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseConfigDelay } from './duration.js';
import type { Layer } from './normalize.js';
import { DevsupError } from '../core/errors.js';

const list = (value: unknown) => (typeof value === 'string' ? [value] : value);
// nodemon's ext is "js,json", ".js json" or "*.pde".
const extensions = (value: unknown) =>
  typeof value === 'string' ? value.split(/[\s,]+/).map((e) => e.replace(/^\*?\./, '')).filter(Boolean) : value;

const TRANSLATE: Record<string, (value: unknown) => Record<string, unknown>> = {
  script: (v) => ({ entry: v }),
  exec: (v) => ({ exec: v }),
  watch: (v) => ({ watch: list(v) }),
  ignore: (v) => ({ ignore: list(v) }),
  ext: (v) => ({ ext: extensions(v) }),
  signal: (v) => ({ signal: v }),
  env: (v) => ({
    env: typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)])) : v,
  }),
  cwd: (v) => ({ cwd: v }),
  nodeArgs: (v) => ({ nodeArgs: typeof v === 'string' ? v.split(/\s+/).filter(Boolean) : v }),
  verbose: (v) => (v === true ? { logLevel: 'debug' } : {}),
  quiet: (v) => (v === true ? { logLevel: 'warn' } : {}),
  legacyWatch: (v) => (v === true ? { poll: true } : {}),
  pollingInterval: (v) => ({ poll: v }),
  restartable: (v) => ({ restartable: v }),
  exitcrash: (v) => (v === true ? { onCrash: 'exit' } : {}),
};

export interface FromNodemon {
  values: Record<string, unknown>;
  /** The keys devsup does not take over (with why, where it is not obvious). */
  unsupported: string[];
  /** How a value that is easy to misread was taken: `delay "500" = 500 ms`. */
  taken: string[];
}

/** Translates a nodemon config object. */
export function fromNodemon(config: Record<string, unknown>): FromNodemon {
  const values: Record<string, unknown> = {};
  const unsupported: string[] = [];
  const taken: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const translate = TRANSLATE[key];
    if (key === 'delay') {
      // Milliseconds in nodemon.json, unlike nodemon's --delay (seconds).
      const ms = parseConfigDelay(value);
      if (ms === undefined) unsupported.push(`delay ${JSON.stringify(value)} (nodemon.json's delay is milliseconds, e.g. 500; nodemon ignores this one too)`);
      else {
        values.quietPeriod = ms;
        taken.push(`delay ${JSON.stringify(value)} = ${ms} ms`);
      }
    } else if (translate) Object.assign(values, translate(value));
    else unsupported.push(key);
  }
  return { values, unsupported, taken };
}

export type NodemonConfig = { layer: Layer } & Omit<FromNodemon, 'values'>;

/** A nodemon config file named with --config (nodemon's meaning of the flag when it names a .json file). */
export function loadNodemonFile(file: string): NodemonConfig {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw new DevsupError('CONFIG_NOT_FOUND', `config file not found: ${path}`, { hint: 'check the --config path' });
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DevsupError('CONFIG_LOAD_FAILED', `${basename(path)}: ${(error as Error).message}`, { hint: 'fix the JSON' });
  }
  return toLayer(basename(path), config, dirname(path));
}

/** nodemon.json in `dir`, else package.json's nodemonConfig there, as an options layer. */
export function findNodemonConfig(dir: string): NodemonConfig | undefined {
  const nodemonJson = join(dir, 'nodemon.json');
  const packageJson = join(dir, 'package.json');
  let source: string;
  let config: unknown;
  try {
    if (existsSync(nodemonJson)) {
      source = 'nodemon.json';
      config = JSON.parse(readFileSync(nodemonJson, 'utf8'));
    } else if (existsSync(packageJson)) {
      source = 'package.json#nodemonConfig';
      config = (JSON.parse(readFileSync(packageJson, 'utf8')) as { nodemonConfig?: unknown }).nodemonConfig;
      if (config === undefined) return undefined;
    } else {
      return undefined;
    }
  } catch (error) {
    throw new DevsupError('CONFIG_LOAD_FAILED', `${existsSync(nodemonJson) ? 'nodemon.json' : 'package.json'}: ${(error as Error).message}`, {
      hint: 'fix the JSON, or add a supervisor.config.ts (which takes precedence)',
    });
  }
  return toLayer(source, config, dir);
}

function toLayer(source: string, config: unknown, dir: string): NodemonConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new DevsupError('CONFIG_INVALID', `${source}: expected an object of nodemon options`);
  }
  const { values, ...rest } = fromNodemon(config as Record<string, unknown>);
  return { layer: { source, values, base: dir }, ...rest };
}

/**
 * package.json's `main` in `dir`, as an options layer: what bare `nodemon` runs when nothing else names a script.
 * Undefined when there is no package.json or it has no `main`.
 */
export function findPackageMain(dir: string): Layer | undefined {
  const packageJson = join(dir, 'package.json');
  if (!existsSync(packageJson)) return undefined;
  let main: unknown;
  try {
    main = (JSON.parse(readFileSync(packageJson, 'utf8')) as { main?: unknown }).main;
  } catch {
    return undefined; // a broken package.json is reported where it matters (nodemonConfig), not here
  }
  return typeof main === 'string' && main !== '' ? { source: 'package.json main', values: { entry: main }, base: dir } : undefined;
}
