// A config with `services`: the top-level keys are every service's defaults, each service's own keys go over them,
// then the command line's. Each service's options are normalized on their own; dependsOn and restartDependents
// become the graph.
import { DevsupError } from '../core/errors.js';
import { normalize, show, type Layer } from '../config/normalize.js';
import type { Options } from '../config/schema.js';
import { ServiceGraph } from './graph.js';

export interface ServicesPlan {
  graph: ServiceGraph;
  /** The services that run (all, or --only's and what they depend on), in start order. */
  names: string[];
  /** Each running service's options. */
  options: Map<string, Options>;
  /** The services whose own config asks for stdio 'pipe' (the caller reads them; the others are prefixed). */
  piped: Set<string>;
}

/** Whether these config layers describe several services. */
export const hasServices = (layers: readonly Layer[]): boolean => layers.some((layer) => layer.values.services !== undefined);

/**
 * The services of `layers` (the one with `services` is the config; the others, e.g. the command line, apply to every
 * service). `force` goes over all (a services run pipes each app's output, to prefix it). Errors are one line.
 */
export function planServices(layers: Layer[], only: readonly string[] = [], fallbackCwd = process.cwd(), deprecated?: (line: string) => void, force: Record<string, unknown> = {}): ServicesPlan {
  const withServices = layers.find((layer) => layer.values.services !== undefined)!;
  const { services, ...defaults } = withServices.values;
  if (typeof services !== 'object' || services === null || Array.isArray(services)) {
    throw new DevsupError('CONFIG_INVALID', `${withServices.source}: services must be an object of service configs by name, got ${show(services)}`);
  }
  const specs = services as Record<string, Record<string, unknown>>;
  for (const [name, spec] of Object.entries(specs)) {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new DevsupError('CONFIG_INVALID', `${withServices.source}: services.${name} must be a config object, got ${show(spec)}`);
    }
    const { dependsOn, restartDependents } = spec;
    if (dependsOn !== undefined && !(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === 'string'))) {
      throw new DevsupError('CONFIG_INVALID', `${withServices.source}: services.${name}.dependsOn must be an array of service names, got ${show(dependsOn)}`);
    }
    if (restartDependents !== undefined && typeof restartDependents !== 'boolean') {
      throw new DevsupError('CONFIG_INVALID', `${withServices.source}: services.${name}.restartDependents must be true or false, got ${show(restartDependents)}`);
    }
  }
  const graph = new ServiceGraph(specs as ConstructorParameters<typeof ServiceGraph>[0], `${withServices.source}: services`);
  const names = only.length > 0 ? graph.only(only) : [...graph.order];
  const options = new Map<string, Options>();
  const piped = new Set<string>();
  for (const name of names) {
    const { dependsOn: _d, restartDependents: _r, ...own } = specs[name]!;
    const stack = layers.flatMap((layer): Layer[] =>
      layer === withServices
        ? [{ ...layer, values: defaults }, { ...layer, source: `${layer.source}: services.${name}`, values: own }]
        : [layer],
    );
    const merged = normalize(stack, fallbackCwd, () => {});
    if (merged.stdio === 'pipe') piped.add(name);
    // DEVSUP_ORDERED: devsup/child leaves a terminal's Ctrl-C to devsup, which stops the services in order.
    stack.push({ source: 'services', values: { ...force, env: { ...merged.env, DEVSUP_ORDERED: '1' } }, base: withServices.base });
    options.set(name, normalize(stack, fallbackCwd, deprecated));
  }
  return { graph, names, options, piped };
}
