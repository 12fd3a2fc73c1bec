// Errors devsup reports to people: a stable code, one line of what went wrong, and a hint at what to do.

export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
  /** The exit code the CLI ends with when this error stops it (2: usage or configuration). */
  exitCode?: number;
}

export class DevsupError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DevsupError';
    this.code = code;
    this.hint = details.hint;
    this.exitCode = details.exitCode ?? 2;
  }

  /** The one line a person sees: message, then the hint. */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
