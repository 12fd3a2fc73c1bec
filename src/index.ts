// devsup's public API. Re-exports only.
export { defineConfig, type Config, type Options } from './config.js';
export { DevsupError } from './errors.js';
export { createLogger, type Logger, type LoggerOptions, type LogFormat, type LogLevel } from './logger.js';
export type { Exit, State, Trigger } from './machine.js';
export type { CleanupResult, StopReason } from './protocol.js';
export type { Reaped } from './process-tree.js';
export {
  createSupervisor,
  Supervisor,
  type CreateOptions,
  type CleanupReport,
  type SupervisorEvents,
  type TeardownReport,
} from './supervisor.js';
