// One cycle of a services run: the restart of a set of services in dependency order. Each is stopped once the
// services of the set that depend on it are gone (it reached its start gate: see Services#beforeStart), and starts
// once what it depends on is ready (the gate). The cycle is over when each service is ready, failed (a crash before
// ready, a failed build), or blocked: waiting at its gate for a dependency that failed — it starts when that one is
// ready again, in a later cycle, and the cycles after this one are not held up by it.
import type { RestartRequest, Supervisor } from '../supervisor/supervisor.js';
import type { ServiceGraph } from './graph.js';

/** A one-way gate: shut until passed. */
export class Gate {
  open = false;
  #resolve!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.#resolve = resolve));
  pass(): void {
    this.open = true;
    this.#resolve();
  }
}

export interface CycleParts {
  /** The services to restart, in start order. */
  set: readonly string[];
  graph: ServiceGraph;
  sups: ReadonlyMap<string, Supervisor>;
  /** Each service's readiness (open while it is ready). */
  ready: ReadonlyMap<string, Gate>;
  /** Where this cycle puts each service's "old tree gone" gate. */
  gone: Map<string, Gate>;
  /** What to tell each service's restart(). */
  request: (name: string) => RestartRequest;
}

export interface CycleResult {
  stopped: string[];
  started: string[];
  failed: string[];
  blocked: string[];
}

type Outcome = 'ready' | 'failed' | 'blocked';

export async function runCycle({ set, graph, sups, ready, gone, request }: CycleParts): Promise<CycleResult> {
  const result: CycleResult = { stopped: [], started: [], failed: [], blocked: [] };
  const restarts = new Map<string, Promise<Outcome>>();
  const stops = new Map<string, Promise<void>>();
  const stop = (name: string): Promise<void> => {
    let p = stops.get(name);
    if (p) return p;
    p = (async () => {
      await Promise.all(graph.dependents(name).filter((d) => set.includes(d)).map(stop));
      const sup = sups.get(name)!;
      const gate = new Gate();
      gone.set(name, gate);
      // Nothing running to stop: not started yet, or waiting at its gate; a closed one (onCrash exit) stays closed.
      if (['closed', 'idle', 'building'].includes(sup.state.kind)) gate.pass();
      if (sup.state.kind === 'closed') return;
      result.stopped.push(name);
      restarts.set(name, sup.restart(request(name)).then(() => (result.started.push(name), 'ready' as const), () => 'failed' as const));
      await gate.promise;
    })();
    stops.set(name, p);
    return p;
  };
  await Promise.all(set.map(stop));
  // Start order: a service whose dependency did not come up waits at its gate; the cycle does not wait with it.
  const outcomes = new Map<string, Promise<Outcome>>();
  for (const name of set) {
    outcomes.set(name, (async (): Promise<Outcome> => {
      const deps = graph.dependsOn(name).filter((d) => sups.has(d));
      const of = await Promise.all(deps.map((d) => outcomes.get(d) ?? (ready.get(d)!.open ? 'ready' : 'blocked')));
      if (of.some((o) => o !== 'ready')) return 'blocked';
      return restarts.get(name) ?? 'ready';
    })());
  }
  for (const name of set) {
    const outcome = await outcomes.get(name)!;
    if (outcome === 'failed') result.failed.push(name);
    if (outcome === 'blocked') result.blocked.push(name);
  }
  // A blocked service's start comes later: it must not change what this cycle reported.
  return { stopped: [...result.stopped], started: [...result.started], failed: result.failed, blocked: result.blocked };
}
