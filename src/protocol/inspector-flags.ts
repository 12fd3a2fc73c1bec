// Node's inspector flags, read the same way by both processes: devsup (the app's node flags and NODE_OPTIONS) and
// the preload (its own execArgv and NODE_OPTIONS).
const INSPECT = /^--inspect(-brk|-wait)?(=|$)/;
const WAITS = /^--inspect-(brk|wait)(=|$)/;

/** The flags a NODE_OPTIONS value holds. */
export const nodeOptionsFlags = (value: string | undefined): string[] => (value ?? '').split(/\s+/).filter(Boolean);

/** Whether these flags open the inspector (--inspect, --inspect-brk, --inspect-wait, with or without a port). */
export const opensInspector = (flags: readonly string[]): boolean => flags.some((flag) => INSPECT.test(flag));

/** Whether these flags make each start wait for a debugger to attach (--inspect-brk, --inspect-wait). */
export const waitsForDebugger = (flags: readonly string[]): boolean => flags.some((flag) => WAITS.test(flag));
