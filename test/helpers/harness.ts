// Runs devsup for real, in a throwaway project made from a fixture, and watches what happens: its log lines, the
// fixtures' event file, pids and ports. Every process a test starts is killed by pid when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { expect, onTestFailed, onTestFinished } from 'vitest';
import { processGone } from '../../src/child/liveness.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/cli/main.js');

/**
 * A throwaway project outside this repository, as an app that installed devsup would be: a package.json of its own
 * and node_modules/devsup (a link to this checkout). Removed when the test ends.
 */
export function makeProject(prefix: string, under = tmpdir()): string {
  const dir = mkdtempSync(join(under, `devsup-${prefix.replace(/\W/g, '-')}-`));
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules/devsup'), 'junction');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Event {
  event: string;
  pid: number;
  t: number;
  [key: string]: unknown;
}

/** One line of devsup's own `--events` stream (docs/EVENTS.md): what devsup did, as the fixtures' Event is what the app did. */
export interface Lifecycle {
  v: number;
  t: number;
  type: string;
  [key: string]: unknown;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs` with `what`. */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(15);
  }
}

/** Whether a process still runs (a zombie does not: it has exited, only its parent has not collected it). */
export function isAlive(pid: number): boolean {
  return !processGone(pid);
}

export function kill(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export class Project {
  readonly dir: string;
  readonly eventsFile: string;
  /** For `devsup run --events <lifecycleFile>`: devsup's own event stream, outside the project too. */
  readonly lifecycleFile: string;
  readonly entry: string;
  readonly #runs: Devsup[] = [];

  /**
   * A project made of one fixture file (run as `as`, with `more` beside it, record.mjs and version.mjs), or of a
   * fixture folder copied whole (a recipe: `as` names its entry), with `link`ed packages from devsup's own
   * node_modules installed in it, as `npm install` would; made in `under` (default: the temp folder).
   */
  constructor(fixture: string, as?: string, more: string[] = [], link: string[] = [], under?: string) {
    this.dir = makeProject(basename(fixture), under);
    for (const file of more) copyFileSync(join(ROOT, 'fixtures', file), join(this.dir, file));
    // Outside the project, so that recording an event is not itself a change.
    this.eventsFile = `${this.dir}.events.jsonl`;
    this.lifecycleFile = `${this.dir}.devsup-events.jsonl`;
    this.entry = as ?? basename(fixture);
    for (const name of link) {
      mkdirSync(dirname(join(this.dir, 'node_modules', name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(this.dir, 'node_modules', name), 'junction');
    }
    if (statSync(join(ROOT, 'fixtures', fixture)).isDirectory()) {
      cpSync(join(ROOT, 'fixtures', fixture), this.dir, { recursive: true });
    } else {
      copyFileSync(join(ROOT, 'fixtures', fixture), join(this.dir, this.entry));
      copyFileSync(join(ROOT, 'fixtures/record.mjs'), join(this.dir, 'record.mjs'));
      this.setVersion(1);
    }
    writeFileSync(this.eventsFile, '');
    // Whatever happened in the test: devsup first (so it starts nothing new), then every app process and
    // grandchild the fixtures recorded, each by pid; then the files.
    onTestFinished(({ task }) => {
      // Shown before the file goes: what the fixtures recorded, for a failed test.
      if (task.result?.state === 'fail') {
        console.error(`events of ${this.entry}:\n${(existsSync(this.eventsFile) && readFileSync(this.eventsFile, 'utf8')) || '(none)'}`);
        if (existsSync(this.lifecycleFile)) console.error(`devsup's --events:\n${readFileSync(this.lifecycleFile, 'utf8') || '(none)'}`);
      }
      for (const run of this.#runs) kill(run.pid);
      for (const e of this.events()) {
        for (const pid of [e.pid, e.grandchild]) if (typeof pid === 'number' && isAlive(pid)) kill(pid);
      }
      // And every app devsup said it started (one that never ran its code, waiting for a debugger, recorded nothing).
      for (const e of this.lifecycle('started')) if (typeof e.pid === 'number' && isAlive(e.pid)) kill(e.pid);
      rmSync(this.eventsFile, { force: true });
      rmSync(this.lifecycleFile, { force: true });
    });
  }

  /** Rewrites the module every fixture imports: the edit a person makes. */
  setVersion(version: number): void {
    writeFileSync(join(this.dir, 'version.mjs'), `export default ${version};\n`);
  }

  /** Writes a file of the project (and the folders on its way). */
  write(name: string, content: string): void {
    mkdirSync(dirname(join(this.dir, name)), { recursive: true });
    writeFileSync(join(this.dir, name), content);
  }

  events(): Event[] {
    if (!existsSync(this.eventsFile)) return [];
    return readFileSync(this.eventsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Event);
  }

  named(event: string): Event[] {
    return this.events().filter((e) => e.event === event);
  }

  /** Waits until `count` events of this name were recorded; returns them. */
  waitFor(event: string, count = 1, timeoutMs?: number): Promise<Event[]> {
    return until(`${count} "${event}" event(s)`, () => {
      const found = this.named(event);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
  }

  /** What devsup wrote to `--events <lifecycleFile>` so far (of one type, when given). */
  lifecycle(type?: string): Lifecycle[] {
    if (!existsSync(this.lifecycleFile)) return [];
    return readFileSync(this.lifecycleFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Lifecycle)
      .filter((e) => type === undefined || e.type === type);
  }

  /** Waits until devsup's --events has `count` lines of this type that match; returns them. */
  waitForLifecycle(type: string, match: (e: Lifecycle) => boolean = () => true, count = 1, timeoutMs?: number): Promise<Lifecycle[]> {
    return until(`${count} "${type}" line(s) in devsup's --events — so far:\n${this.lifecycle().map((e) => JSON.stringify(e)).join('\n')}`, () => {
      const found = this.lifecycle(type).filter(match);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
  }

  /**
   * Waits for devsup's positive signal that a change to `path` (relative to the project) restarts nothing: its
   * `ignored` event, with the rule that skipped it. Needs `--events <lifecycleFile>` in the run.
   */
  async waitForIgnored(path: string, rule: string): Promise<Lifecycle> {
    const [found] = await this.waitForLifecycle('ignored', (e) => e.path === path);
    expect(found, `the ignored event of ${path}`).toEqual(expect.objectContaining({ v: 2, type: 'ignored', path, rule }));
    return found!;
  }

  /** Starts `devsup run <args>` in this project (or `devsup <options.args>` when given). */
  run(args: string[], options: RunOptions = {}): Devsup {
    const run = new Devsup(this, args, options);
    this.#runs.push(run);
    return run;
  }
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Its own process group, so that a test can send SIGINT to the group as a terminal's Ctrl-C does. */
  detached?: boolean;
  /** The whole command line after `devsup` (default: `run` and the given arguments). */
  args?: string[];
  /** Where the app's (and devsup's) stdout goes: kept for the test by default. */
  stdout?: 'pipe' | 'ignore';
  /** Where devsup runs, relative to the project (default: the project itself). */
  cwd?: string;
  /** A command that runs devsup in its place (`unshare … sh -c '…; exec "$0" "$@"'`): its pid is devsup's. */
  prefix?: string[];
}

export class Devsup {
  readonly process: ChildProcess;
  readonly pid: number;
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #project: Project;

  constructor(project: Project, args: string[], options: RunOptions) {
    this.#project = project;
    const [file, ...prefix] = [...(options.prefix ?? []), process.execPath];
    this.process = spawn(file!, [...prefix, CLI, ...(options.args ?? ['run', ...args])], {
      cwd: join(project.dir, options.cwd ?? '.'),
      env: { ...process.env, EVENTS: project.eventsFile, ...options.env },
      stdio: ['pipe', options.stdout ?? 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    this.pid = this.process.pid!;
    this.process.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolveExit) =>
      this.process.on('exit', (code, signal) => resolveExit({ code, signal })),
    );
    // A failed test shows what devsup said, whatever the failing assertion was waiting for.
    onTestFailed(() => console.error(`devsup ${args.join(' ')} (pid ${this.pid}) logged:\n${this.stderr}`));
  }

  lines(): string[] {
    return this.stderr.split('\n').filter(Boolean);
  }

  /** Waits for a log line matching `pattern` (the `count`-th such line); returns it. */
  waitForLine(pattern: RegExp, count = 1, timeoutMs?: number): Promise<string> {
    return until(`log line ${pattern} (#${count}) — log so far:\n${this.stderr}`, () => {
      const found = this.lines().filter((l) => pattern.test(l));
      return found.length >= count ? found[count - 1] : undefined;
    }, timeoutMs);
  }

  /** Waits until devsup watches the project and the first child is ready. */
  async ready(): Promise<void> {
    await this.waitForLine(/watching/);
    await until('the first child to start', () => this.#project.named('start').length > 0 || undefined);
  }

  count(pattern: RegExp): number {
    return this.lines().filter((l) => pattern.test(l)).length;
  }

  /** The log lines matching `pattern`, in order. */
  matching(pattern: RegExp): string[] {
    return this.lines().filter((l) => pattern.test(l));
  }
}

/**
 * The positive signal that nothing before it restarted the app: writes .env (watched in every run: a named default)
 * and waits until the restart it causes, restart #`number`, is summed up (the new app is ready). A change devsup
 * wrongly took for a reason to restart, seen before the sentinel, shows as a restart of its own or in this one's
 * trigger: the caller asserts the trigger lines name .env alone. Returns the paths of the `changed` lines devsup's
 * --events got since the write (none without `--events <lifecycleFile>`), each once.
 */
export async function restartSentinel(project: Project, devsup: Devsup, number: number): Promise<string[]> {
  const before = project.lifecycle('changed').length;
  project.write('.env', `SENTINEL=${number}\n`);
  await devsup.waitForLine(new RegExp(`restart #${number}: `));
  return [...new Set(project.lifecycle('changed').slice(before).flatMap((e) => e.paths as string[]))];
}
