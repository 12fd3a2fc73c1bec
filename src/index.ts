// devsup's public API. Re-exports only.
export { defineConfig, type Config, type Options, type ServiceConfig } from './config/schema.js';
export { DevsupError } from './core/errors.js';
export { createLogger, type Logger, type LoggerOptions, type LogFn, type LogFormat, type LogLevel } from './supervisor/logger.js';
export type { Exit, State, Trigger } from './core/state.js';
export type { CleanupResult, StopReason } from './protocol/messages.js';
export type { CleanupReport, Reaped, SupervisorEvents, TeardownReport } from './core/events.js';
export { createSupervisor, Supervisor, type CreateOptions } from './supervisor/supervisor.js';
export type { RestartRequest } from './supervisor/service-link.js';
export { createServices, Services, type ServicesCreateOptions, type ServicesEvents } from './services/services.js';
