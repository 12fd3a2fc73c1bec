// Durations as nodemon writes them (its --delay and nodemon.json's delay), turned into devsup's milliseconds, read as
// nodemon 3.1 reads them (lib/cli/parse.js parseDelay for the flag; lib/monitor/watch.js hands the config's delay
// to setTimeout as it is).

/**
 * nodemon's --delay: seconds ("2.5", "10", "2.5s": parseFloat × 1000), or milliseconds with "ms" ("2500ms").
 * What nodemon would read as 0 for want of a number ("soon") is returned as is, to be refused by the validation.
 */
export function parseDelay(value: string | number): number | string {
  if (typeof value === 'number') return value;
  if (/^\d*ms$/.test(value)) return Number.parseInt(value, 10);
  const seconds = Number.parseFloat(value);
  return Number.isNaN(seconds) ? value : Math.round(seconds * 1000);
}

/**
 * nodemon.json's (and package.json#nodemonConfig's) delay: always milliseconds, a number or a numeric string
 * ("2500" is 2.5 s). nodemon passes it to setTimeout only when it is `> 0`: any other form ("500ms", "2.5s") is no
 * delay at all under nodemon, and undefined here (not taken over).
 */
export function parseConfigDelay(value: unknown): number | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
