/** delay(n) = min(maxMs, baseMs · 2ⁿ) for the n-th consecutive failed attempt (n ≥ 0). */
export function reconnectDelayMs(attempt: number, baseMs = 500, maxMs = 10_000): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new RangeError(`reconnectDelayMs: attempt must be a non-negative integer, got ${attempt}`);
  }
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
}
