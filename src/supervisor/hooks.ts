// Lifecycle hooks from the config (start, ready, restart, crash, exit): functions run in the supervisor, given the
// event. One that throws or rejects is reported, never allowed to stop devsup.
import type { EventEmitter } from 'node:events';
import { HOOK_EVENTS, type HookName, type Hooks } from '../core/events.js';
import type { Logger } from './logger.js';

export function installHooks(emitter: EventEmitter, hooks: Readonly<Hooks>, log: Logger): void {
  for (const [name, event] of Object.entries(HOOK_EVENTS) as [HookName, string][]) {
    const hook = hooks[name] as ((payload: unknown) => unknown) | undefined;
    if (!hook) continue;
    const failed = (error: unknown) =>
      log.warn({ err: error, hook: event }, `hook ${event} failed: ${error instanceof Error ? error.message : String(error)}`);
    emitter.on(event, (payload: unknown) => {
      try {
        const result = hook(payload) as { then?: unknown } | undefined;
        if (result && typeof result.then === 'function') (result as Promise<unknown>).then(undefined, failed);
      } catch (error) {
        failed(error);
      }
    });
  }
}
