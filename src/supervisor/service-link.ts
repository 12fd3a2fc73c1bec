// What a supervisor takes from outside besides its options: a services run's link, and what restart() may say. Types only.

/** How a services run (services/services.ts) links each service's supervisor to the orchestrator. */
export interface ServiceLink {
  readonly name: string;
  /** Awaited before each start: the services this one depends on are ready. */
  beforeStart(): Promise<void>;
  /** A burst of changes began (its paths come with changed() once it settles). */
  changing(): void;
  /** A burst of changes settled: the paths that concern this service (maybe none); the orchestrator orders the restarts. */
  changed(paths: string[]): void;
}

/** What restart() may say: why (shown in the restart line) and which files changed (then it is a change). */
export interface RestartRequest {
  reason?: string;
  paths?: string[];
}
