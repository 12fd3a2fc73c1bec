// devsup's public API. Re-exports only.
export { defineConfig, type Config, type Options } from './config/schema.js';
export { DevsupError } from './core/errors.js';
export { createLogger, type Logger, type LoggerOptions, type LogFormat, type LogLevel } from './supervisor/logger.js';
export type { Exit, State, Trigger } from './core/machine.js';
export type { CleanupResult, StopReason } from './protocol/messages.js';
export type { Reaped } from './process/tree.js';
export {
  createSupervisor,
  Supervisor,
  type CreateOptions,
  type CleanupReport,
  type SupervisorEvents,
  type TeardownReport,
} from './supervisor/supervisor.js';
