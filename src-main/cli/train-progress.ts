import { METRIC_KEYS, type EventPayload } from '../shared';

/** One progress line: bar, steps, %, steps/s, ETA, latest return and success of the trained reward. */
export function formatTrainProgress(progress: EventPayload<'job.progress'>, barWidth = 24): string {
  const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`,
    `${(fraction * 100).toFixed(1).padStart(5)}%`,
    `${formatCount(progress.done)}/${formatCount(progress.total)} steps`,
    progress.ratePerSecond === null
      ? '– steps/s'
      : `${formatCount(Math.round(progress.ratePerSecond))} steps/s`,
    `ETA ${progress.etaSeconds === null ? '–' : formatDuration(progress.etaSeconds)}`,
  ];
  const ret = progress.latest[METRIC_KEYS.episodicReturn];
  const success = progress.latest[METRIC_KEYS.success];
  if (ret !== undefined) parts.push(`return ${ret.toFixed(3)}`);
  if (success !== undefined) parts.push(`success ${(success * 100).toFixed(1)}%`);
  return parts.join('  ');
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Seconds as "m:ss" or "h:mm:ss". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}
