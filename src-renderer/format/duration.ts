/** Seconds as "m:ss" below an hour and "h:mm:ss" above; "—" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Steps per second with a thousands separator, e.g. "3,715 steps/s"; "—" when unknown. */
export function formatRate(perSecond: number | null, unit = 'steps/s'): string {
  if (perSecond === null || !Number.isFinite(perSecond) || perSecond < 0) return '—';
  const digits = perSecond < 10 ? 1 : 0;
  return `${perSecond.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

/** done / total as a fraction in [0, 1]; 0 when the total is not known yet. */
export function progressFraction(done: number, total: number): number {
  if (!Number.isFinite(done) || !Number.isFinite(total) || total <= 0) return 0;
  return Math.min(1, Math.max(0, done / total));
}
