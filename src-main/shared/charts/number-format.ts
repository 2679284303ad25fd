/** Number formats of the chart axes, tooltips and labels (the app's and the report's). */

/** Integer with thousands separators: 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Axis-style compact step count: 950 → "950", 12 300 → "12.3k", 2 000 000 → "2M". */
export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  const trim = (x: number): string => String(Number(x.toFixed(1)));
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

/** A metric value with 4 significant digits; exponent notation for very large or tiny values. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}
