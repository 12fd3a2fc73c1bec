// The services' dependency graph: order, --only, restart sets, and the one-line errors. Pure.
import { describe, expect, it } from 'vitest';
import { DevsupError } from '../../src/core/errors.js';
import { ServiceGraph } from '../../src/services/graph.js';

const error = (f: () => unknown): DevsupError => {
  try {
    f();
  } catch (e) {
    return e as DevsupError;
  }
  throw new Error('no error');
};

describe('ServiceGraph', () => {
  it('orders dependencies first, declaration order among the rest', () => {
    const g = new ServiceGraph({ worker: { dependsOn: ['api'] }, jobs: {}, api: { dependsOn: ['db'] }, db: {} });
    expect(g.order).toEqual(['jobs', 'db', 'api', 'worker']);
    expect(g.dependsOn('worker')).toEqual(['api']);
    expect(g.dependents('api')).toEqual(['worker']);
  });

  it('--only takes what a service depends on, transitively, in start order', () => {
    const g = new ServiceGraph({ db: {}, api: { dependsOn: ['db'] }, worker: { dependsOn: ['api'] }, jobs: {} });
    expect(g.only(['worker'])).toEqual(['db', 'api', 'worker']);
    expect(g.only(['jobs', 'api'])).toEqual(['db', 'api', 'jobs']);
    expect(error(() => g.only(['wroker'])).line).toBe('--only: unknown service "wroker" (did you mean "worker"?)');
  });

  it('a restart reaches the dependents (transitively) unless restartDependents is false', () => {
    const g = new ServiceGraph({ db: {}, api: { dependsOn: ['db'] }, worker: { dependsOn: ['api'] }, jobs: {} });
    expect(g.restartSet(['db'])).toEqual(['db', 'api', 'worker']);
    expect(g.restartSet(['worker', 'api'])).toEqual(['api', 'worker']);
    expect(g.restartSet(['jobs'])).toEqual(['jobs']);
    expect(g.restartSet(['db'], ['db', 'api'])).toEqual(['db', 'api']);
    const off = new ServiceGraph({ db: {}, api: { dependsOn: ['db'], restartDependents: false }, worker: { dependsOn: ['api'] } });
    expect(off.restartSet(['db'])).toEqual(['db', 'api']);
    expect(off.restartSet(['api'])).toEqual(['api']);
  });

  it('a cycle, an unknown name, a self-dependency are one-line errors (exit 2)', () => {
    const cycle = error(() => new ServiceGraph({ a: { dependsOn: ['c'] }, b: { dependsOn: ['a'] }, c: { dependsOn: ['b'] }, d: {} }));
    expect(cycle.line).toBe('services: dependency cycle: a → c → b → a (remove one of these dependsOn)');
    expect(cycle.exitCode).toBe(2);
    const unknown = error(() => new ServiceGraph({ api: {}, worker: { dependsOn: ['apii'] } }));
    expect(unknown.line).toBe('services: worker.dependsOn names an unknown service "apii" (did you mean "api"?)');
    expect(error(() => new ServiceGraph({ api: { dependsOn: ['api'] } })).line).toBe('services: api depends on itself (remove "api" from its dependsOn)');
    expect(error(() => new ServiceGraph({})).line).toMatch(/^services: no services/);
  });
});
