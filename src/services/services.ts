// Several services under one devsup: one Supervisor per service, each with its own module graph and watcher, and
// this orchestrator deciding the order. A service's supervisor does not restart on its own changes: it hands each
// settled burst here; the burst's services and their dependents restart as one cycle — dependents stopped first
// (each once the services that depend on it are gone), then started the other way (each once what it depends on is
// ready: the 'building' gate). Crashes stay each service's own (its onCrash). No globals: embeddable.
import { EventEmitter } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { DevsupError } from '../core/errors.js';
import type { SupervisorEvents } from '../core/events.js';
import { checkRunnable } from '../process/spawn.js';
import { attachEventLog } from '../supervisor/event-log.js';
import { createLogger, type Logger } from '../supervisor/logger.js';
import { Supervisor, type ServiceLink } from '../supervisor/supervisor.js';
import { planServices, type ServicesPlan } from './config.js';
import { Gate, runCycle } from './cycle.js';
import { label, linePrefixer, serviceLogger, wantsColour } from './prefix.js';

/** Every supervisor event, with the service it came from; and `cycle`: one restart of several services, in order. */
export type ServicesEvents = { [K in Exclude<keyof SupervisorEvents, 'closed'>]: [SupervisorEvents[K][0] & { service: string }] } & {
  /** One service closed (its own onCrash exit, or close()); `closed` once all are. */
  serviceClosed: [{ exitCode: number; service: string }];
  cycle: [{ services: string[]; stopped: string[]; started: string[]; failed: string[]; blocked: string[]; paths: string[]; ms: number }];
  closed: [{ exitCode: number }];
};
const FORWARDED = [
  'changed', 'stopRequested', 'leaked', 'started', 'ready', 'restarting', 'cleanup', 'exited', 'crashed', 'settled',
  'ignored', 'paused', 'built', 'buildFailed',
] as const satisfies readonly (keyof SupervisorEvents)[];

// A cycle begins once every service's burst has settled, and none began for this long: each service's watcher sees a
// save within a turn or two of the others, but settles on its own clock (a busy machine spreads them apart).
const COLLECT_MS = 25;

export interface ServicesCreateOptions {
  logger?: Logger;
  /** Run only these services and what they depend on (the CLI's --only). */
  only?: string[];
  /** Where prefixed app output goes when a service's stdio is 'inherit' (default: this process's stdout, stderr). */
  stdout?: NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean };
  stderr?: NodeJS.WritableStream;
}

export class Services extends EventEmitter<ServicesEvents> {
  /** The services that run, in start order. */
  readonly names: readonly string[];
  readonly #plan: ServicesPlan;
  readonly #log: Logger;
  readonly #sups = new Map<string, Supervisor>();
  /** Open when the service is ready; a new, shut one when it goes down (a cycle, a crash). */
  readonly #ready = new Map<string, Gate>();
  /** In a cycle: open once the service's old tree is gone (it reached its start gate). */
  readonly #gone = new Map<string, Gate>();
  readonly #wants = new Map<string, Set<string>>();
  /** The services whose watchers have a burst under way (not settled yet). */
  readonly #open = new Set<string>();
  #collect: NodeJS.Timeout | undefined;
  #cycles: Promise<void> = Promise.resolve();
  #closing: Promise<number> | undefined;
  readonly #codes: number[] = [];

  constructor(plan: ServicesPlan, logger: Logger, create: ServicesCreateOptions = {}) {
    super();
    this.#plan = plan;
    this.#log = logger;
    this.names = plan.names;
    const out = create.stdout ?? process.stdout;
    const colour = wantsColour(out as never);
    const width = Math.max(...plan.names.map((n) => n.length));
    const human = [...plan.options.values()].every((o) => o.logFormat === 'human');
    const events = plan.options.get(plan.names[0]!)!.events;
    const fd = events === undefined ? undefined : typeof events === 'number' ? events : openSync(events, 'w');
    if (fd !== undefined) {
      const t = () => Math.round(performance.now() * 10) / 10;
      this.on('cycle', (e) => writeSync(fd, `${JSON.stringify({ v: 2, t: t(), type: 'cycle', ...e })}\n`));
    }
    plan.names.forEach((name, index) => {
      const options = plan.options.get(name)!;
      const shown = label(name, index, width, colour);
      const link: ServiceLink = {
        name,
        beforeStart: () => this.#beforeStart(name),
        changing: () => this.#changing(name),
        changed: (paths) => this.#want(name, paths),
      };
      const sup = new Supervisor(options, serviceLogger(logger, name, shown, human), link);
      this.#sups.set(name, sup);
      this.#ready.set(name, new Gate());
      for (const type of FORWARDED) sup.on(type, (e: object) => (this.emit as (t: string, e: object) => boolean)(type, { ...e, service: name }));
      sup.on('ready', () => this.#ready.get(name)!.pass());
      sup.on('exited', (report) => {
        if (!report.asked && this.#ready.get(name)!.open) this.#ready.set(name, new Gate());
      });
      sup.on('closed', ({ exitCode }) => {
        this.#codes.push(exitCode);
        this.emit('serviceClosed', { exitCode, service: name });
        this.#ready.get(name)!.pass();
        this.#gone.get(name)?.pass();
        if ([...this.#sups.values()].every((s) => s.state.kind === 'closed')) this.#finish(fd, events);
      });
      if (fd !== undefined) attachEventLog(sup, fd, (error) => logger.warn(`event log: ${error.message}`), { service: name });
      // Piped for the prefix, unless the caller asked for the streams (stdio 'pipe' in the service's own config).
      if (!plan.piped.has(name)) {
        const err = create.stderr ?? process.stderr;
        sup.stdout?.pipe(linePrefixer(`${shown} | `)).pipe(out, { end: false });
        sup.stderr?.pipe(linePrefixer(`${shown} | `)).pipe(err, { end: false });
      }
    });
  }

  /** The supervisor of one service (its stdout and stderr, with stdio 'pipe'; its state, its events). */
  service(name: string): Supervisor {
    const sup = this.#sups.get(name);
    if (!sup) throw new DevsupError('UNKNOWN_SERVICE', `unknown service "${name}"`, { hint: `services: ${this.names.join(', ')}` });
    return sup;
  }

  /** The pids of the apps running now. */
  get pids(): number[] {
    return [...this.#sups.values()].flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
  }

  /** Starts every service, each once what it depends on is ready. Resolves when all are; rejects with the first that fails. */
  async start(): Promise<void> {
    for (const name of this.names) checkRunnable(this.#sups.get(name)!.options);
    const order = this.names.map((n) => (this.#plan.graph.dependsOn(n).length > 0 ? `${n} (after ${this.#plan.graph.dependsOn(n).join(', ')})` : n));
    this.#log.info({ services: this.names }, `services: ${order.join(', ')}`);
    const results = await Promise.allSettled(this.names.map((n) => this.#sups.get(n)!.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Restarts these services (all by default) and their dependents, in dependency order. */
  restart(request: { services?: string[]; reason?: string } = {}): Promise<void> {
    const names = request.services ?? [...this.names];
    for (const n of names) this.service(n);
    return this.#cycle(new Map(names.map((n) => [n, []])), request.reason);
  }

  /** Files changed: each service's module graph (or watch) decides whether they concern it. Resolves with the services restarted. */
  async notify(paths: readonly string[]): Promise<string[]> {
    const wants = new Map<string, string[]>();
    for (const name of this.names) {
      const concerned = this.#sups.get(name)!.concerns(paths);
      if (concerned.length > 0) wants.set(name, concerned);
    }
    if (wants.size === 0) return [];
    await this.#cycle(wants);
    return this.#plan.graph.restartSet(wants.keys(), this.names);
  }

  /** Stops every service, each after the services that depend on it; every cleanup runs. The first non-zero exit code, or 0. */
  close(options: { force?: boolean } = {}): Promise<number> {
    if (options.force) for (const sup of this.#sups.values()) void sup.close({ force: true });
    clearTimeout(this.#collect);
    this.#closing ??= (async () => {
      const closing = new Map<string, Promise<number>>();
      const closeOne = (name: string): Promise<number> => {
        let p = closing.get(name);
        if (!p) {
          p = Promise.all(this.#plan.graph.dependents(name).filter((d) => this.#sups.has(d)).map(closeOne)).then(() => this.#sups.get(name)!.close());
          closing.set(name, p);
        }
        return p;
      };
      await Promise.all(this.names.map(closeOne));
      return this.#codes.find((c) => c !== 0) ?? 0;
    })();
    return this.#closing;
  }

  #finish(fd: number | undefined, events: string | number | undefined): void {
    if (fd !== undefined && typeof events === 'string') closeSync(fd);
    this.emit('closed', { exitCode: this.#codes.find((c) => c !== 0) ?? 0 });
  }

  // The 'building' gate of a service: its old tree is gone (a cycle's stop goes on), and it starts once what it
  // depends on is ready.
  async #beforeStart(name: string): Promise<void> {
    this.#gone.get(name)?.pass();
    const deps = this.#plan.graph.dependsOn(name).filter((d) => this.#sups.has(d));
    const shut = deps.filter((d) => !this.#ready.get(d)!.open);
    if (shut.length > 0) this.#log.debug({ service: name, waitingFor: shut }, `${name}: starts once ${shut.join(', ')} ${shut.length > 1 ? 'are' : 'is'} ready`);
    for (const dep of deps) await this.#ready.get(dep)!.promise;
  }

  #changing(name: string): void {
    this.#open.add(name);
    clearTimeout(this.#collect);
  }

  // One service's burst settled: once all have, the changes of all become one cycle.
  #want(name: string, paths: string[]): void {
    this.#open.delete(name);
    if (this.#closing) return;
    if (paths.length > 0) {
      const set = this.#wants.get(name) ?? new Set<string>();
      for (const p of paths) set.add(p);
      this.#wants.set(name, set);
    }
    clearTimeout(this.#collect);
    if (this.#open.size > 0 || this.#wants.size === 0) return;
    this.#collect = setTimeout(() => {
      if (this.#open.size > 0) return;
      const wants = new Map([...this.#wants].map(([n, s]) => [n, [...s]]));
      this.#wants.clear();
      void this.#cycle(wants);
    }, COLLECT_MS);
  }

  // One restart of several services: cycles run one after another; a change seen during one is judged again after it.
  #cycle(wants: Map<string, string[]>, reason?: string): Promise<void> {
    const run = this.#cycles.then(() => this.#run(wants, reason));
    this.#cycles = run.catch(() => {});
    return run;
  }

  async #run(asked: Map<string, string[]>, reason?: string): Promise<void> {
    if (this.#closing) return;
    // A change the service's app already has (it was restarted as a dependent meanwhile) restarts nothing.
    const wants = new Map<string, string[]>();
    for (const [n, paths] of asked) {
      const still = paths.length === 0 ? paths : this.#sups.get(n)!.concerns(paths);
      if (paths.length === 0 || still.length > 0) wants.set(n, still);
    }
    if (wants.size === 0) return;
    const at = performance.now();
    const set = this.#plan.graph.restartSet(wants.keys(), this.names);
    const cause = [...wants.keys()];
    for (const n of set) if (this.#ready.get(n)!.open) this.#ready.set(n, new Gate());
    const request = (name: string) => {
      const own = wants.get(name);
      const why = own ? reason : `restart of ${cause.join(', ')}`;
      return { ...(own && own.length > 0 ? { paths: own } : {}), ...(why === undefined ? {} : { reason: why }) };
    };
    const { stopped, started, failed, blocked } = await runCycle({ set, graph: this.#plan.graph, sups: this.#sups, ready: this.#ready, gone: this.#gone, request });
    const paths = [...new Set([...wants.values()].flat())];
    const ms = Math.round(performance.now() - at);
    const what = reason ?? (paths.length > 0 ? `change in ${paths[0]}${paths.length > 1 ? ` (+${paths.length - 1} more)` : ''}` : 'restart requested');
    const notReady = [...failed, ...blocked.map((n) => `${n} (waits for ${this.#plan.graph.dependsOn(n).join(', ')})`)];
    this.#log.info(
      { services: set, stopped, started, failed, blocked, paths, ms },
      `restarted ${set.join(', ')} (${what}): stopped ${stopped.join(' → ')}, started ${started.join(' → ') || 'none'} · ${ms} ms` +
        (notReady.length > 0 ? ` · not ready: ${notReady.join(', ')}` : ''),
    );
    this.emit('cycle', { services: set, stopped, started, failed, blocked, paths, ms });
  }
}

/**
 * The CLI's multi-service runner, embeddable: one supervisor per service of `config.services` (the other keys are
 * every service's defaults). Nothing starts until start().
 */
export function createServices(config: Config, create: ServicesCreateOptions = {}): Services {
  const deprecated: string[] = [];
  // Relative paths (entries, watch, cwd of a service) are relative to the config's cwd, when it has one.
  const base = config.cwd === undefined ? process.cwd() : resolve(config.cwd);
  const layer = { source: 'createServices', values: { ...config } as Record<string, unknown>, base };
  const plan = planServices([layer], create.only ?? [], base, (line) => deprecated.push(line), { stdio: 'pipe' });
  const first = plan.options.get(plan.names[0]!)!;
  const logger = create.logger ?? createLogger({ format: first.logFormat, level: first.logLevel });
  for (const line of deprecated) logger.warn({ deprecated: true }, line);
  return new Services(plan, logger, create);
}
