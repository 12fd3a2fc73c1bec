// Durations as nodemon writes them (its --delay and nodemon.json's delay), turned into devsup's milliseconds.

/** nodemon's --delay: a number of seconds ("2.5"), or milliseconds with "ms" ("2500ms"). */
export function parseDelay(value: string | number): number | string {
  if (typeof value === 'number') return value;
  const ms = /^(\d+(?:\.\d+)?)ms$/.exec(value);
  if (ms) return Number(ms[1]);
  return /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : value;
}
