/**
 * Numbers and intervals as the report and the app print them (runtime-free, so both print the same):
 * a Unicode minus, and a sign on request.
 */

const MINUS = '\u2212';

type Interval = { estimate: number; low: number; high: number };

/** x with a Unicode minus, `digits` decimals, and a sign when `signed`. */
export function formatNumber(x: number, digits = 2, signed = false): string {
  const text = Math.abs(x).toFixed(digits);
  if (x < 0 && Number(text) !== 0) return `${MINUS}${text}`;
  return signed && Number(text) !== 0 ? `+${text}` : text;
}

/**
 * "0.71 [0.60, 0.80]" (or as percent "71% [60, 80]") with up to 3 more decimals where a non-zero
 * estimate or bound would print as 0, so an interval said to lie above (or below) 0 never shows a
 * bound of "0" beside that claim.
 */
export function formatIntervalNonZero(
  ci: Interval,
  how: { percent?: boolean; signed?: boolean } = {},
): string {
  const scale = how.percent ? 100 : 1;
  const base = how.percent ? 0 : 2;
  let digits = base;
  const hidden = (x: number): boolean => x !== 0 && Number((Math.abs(x) * scale).toFixed(digits)) === 0;
  while (digits < base + 3 && [ci.estimate, ci.low, ci.high].some(hidden)) digits += 1;
  const n = (x: number): string => formatNumber(x * scale, digits, how.signed === true);
  return how.percent
    ? `${n(ci.estimate)}% [${n(ci.low)}, ${n(ci.high)}]`
    : `${n(ci.estimate)} [${n(ci.low)}, ${n(ci.high)}]`;
}
