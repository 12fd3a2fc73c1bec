// The services' dependency graph: dependsOn checked (unknown names, cycles: one-line errors), the start order
// (dependencies first, then the order they were declared in) and the sets a restart or --only reaches. Pure.
import { DevsupError, didYouMean } from '../core/errors.js';

export interface GraphInput {
  /** Each service's dependsOn, in the order the services were declared. */
  [name: string]: { dependsOn?: readonly string[]; restartDependents?: boolean };
}

export class ServiceGraph {
  /** Every service, dependencies before their dependents (declaration order among the rest). */
  readonly order: readonly string[];
  readonly #deps: ReadonlyMap<string, readonly string[]>;
  readonly #dependents: ReadonlyMap<string, readonly string[]>;
  readonly #restartDependents: ReadonlyMap<string, boolean>;

  constructor(services: GraphInput, source = 'services') {
    const names = Object.keys(services);
    if (names.length === 0) throw new DevsupError('CONFIG_INVALID', `${source}: no services`, { hint: 'name at least one, e.g. services: { api: { entry: "src/api.ts" } }' });
    const deps = new Map<string, readonly string[]>();
    for (const name of names) {
      const dependsOn = services[name]!.dependsOn ?? [];
      for (const dep of dependsOn) {
        if (names.includes(dep) && dep !== name) continue;
        if (dep === name) throw new DevsupError('CONFIG_INVALID', `${source}: ${name} depends on itself`, { hint: `remove "${name}" from its dependsOn` });
        const guess = didYouMean(dep, names);
        throw new DevsupError('CONFIG_INVALID', `${source}: ${name}.dependsOn names an unknown service "${dep}"`, {
          hint: guess ? `did you mean "${guess}"?` : `services: ${names.join(', ')}`,
        });
      }
      deps.set(name, [...new Set(dependsOn)]);
    }
    this.#deps = deps;
    this.#dependents = new Map(names.map((n) => [n, names.filter((m) => deps.get(m)!.includes(n))]));
    this.#restartDependents = new Map(names.map((n) => [n, services[n]!.restartDependents ?? true]));
    this.order = topological(names, deps, source);
  }

  /** The services `name` depends on directly. */
  dependsOn(name: string): readonly string[] {
    return this.#deps.get(name) ?? [];
  }

  /** The services that depend on `name` directly. */
  dependents(name: string): readonly string[] {
    return this.#dependents.get(name) ?? [];
  }

  /** --only: these services and everything they depend on, in start order. Unknown names are a one-line error. */
  only(names: readonly string[], source = '--only'): string[] {
    const wanted = new Set<string>();
    const add = (name: string) => {
      if (wanted.has(name)) return;
      wanted.add(name);
      for (const dep of this.dependsOn(name)) add(dep);
    };
    for (const name of names) {
      if (!this.#deps.has(name)) {
        const guess = didYouMean(name, this.order);
        throw new DevsupError('CONFIG_INVALID', `${source}: unknown service "${name}"`, {
          hint: guess ? `did you mean "${guess}"?` : `services: ${this.order.join(', ')}`,
        });
      }
      add(name);
    }
    return this.order.filter((n) => wanted.has(n));
  }

  /**
   * What restarting `names` restarts, in start order: those, and (transitively) the services that depend on a
   * restarted one whose restartDependents is not false. Limited to `among` (the services that run).
   */
  restartSet(names: Iterable<string>, among: readonly string[] = this.order): string[] {
    const set = new Set<string>();
    const add = (name: string) => {
      if (set.has(name) || !among.includes(name)) return;
      set.add(name);
      if (this.#restartDependents.get(name) === false) return;
      for (const dependent of this.dependents(name)) add(dependent);
    };
    for (const name of names) add(name);
    return this.order.filter((n) => set.has(n));
  }
}

// Kahn's algorithm, taking the earliest declared service that is free at each step; what is left is a cycle.
function topological(names: string[], deps: ReadonlyMap<string, readonly string[]>, source: string): string[] {
  const order: string[] = [];
  const left = [...names];
  while (left.length > 0) {
    const next = left.find((n) => deps.get(n)!.every((d) => order.includes(d)));
    if (next === undefined) {
      const cycle = findCycle(left, deps);
      throw new DevsupError('CONFIG_INVALID', `${source}: dependency cycle: ${cycle.join(' → ')}`, { hint: 'remove one of these dependsOn' });
    }
    order.push(next);
    left.splice(left.indexOf(next), 1);
  }
  return order;
}

function findCycle(left: string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  // Every service left has a dependency left: walk them until a name comes back.
  const path: string[] = [];
  for (let at = left[0]!; ; at = deps.get(at)!.find((d) => left.includes(d))!) {
    const seen = path.indexOf(at);
    if (seen >= 0) return [...path.slice(seen), at];
    path.push(at);
  }
}
