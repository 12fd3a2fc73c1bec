// Statistics and markdown tables.

export function summarize(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, median: null, min: null, max: null };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { n: v.length, median, min: v[0], max: v[v.length - 1] };
}

export function fmt(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return digits === 0 ? String(Math.round(x)) : x.toFixed(digits);
}

export function fmtStats(s, digits = 0, unit = '') {
  if (s.n === 0) return { median: '—', range: '—', n: '0' };
  return {
    median: `${fmt(s.median, digits)}${unit}`,
    range: `${fmt(s.min, digits)}–${fmt(s.max, digits)}`,
    n: String(s.n),
  };
}

export function ratio(a, b) {
  if (a === null || b === null || a === undefined || b === undefined || !(b > 0)) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/** A markdown table: `header` is a list of column names, `rows` lists of cells. */
export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
