// A plain object (not null, not an array): what a message, or an options argument, must be before its keys are read.
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
