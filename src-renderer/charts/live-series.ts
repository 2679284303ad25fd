import type { MetricSeries } from '@shared';

/** One `job.progress` reading: the env step and the latest value of each reported metric key. */
export interface LivePoint {
  step: number;
  latest: Readonly<Record<string, number>>;
}

/** Metric families the training monitor charts: episodic return and success, overall and per reward. */
export const MONITOR_FAMILIES = ['charts/episodic_return', 'charts/success'] as const;

/** True when `key` is a monitor family or one of its per-reward variants (`charts/success/RA`). */
export function isMonitorKey(key: string): boolean {
  return MONITOR_FAMILIES.some((family) => key === family || key.startsWith(`${family}/`));
}

/**
 * The stored series extended by the live readings newer than each series' last stored step; keys
 * seen only live become new series. Stored points win where both exist, since they are what the
 * database holds; live points fill the gap until the next re-read.
 */
export function mergeLiveSeries(stored: readonly MetricSeries[], live: readonly LivePoint[]): MetricSeries[] {
  const merged = new Map<string, MetricSeries>();
  for (const series of stored) {
    if (series.steps.length !== series.values.length) {
      throw new RangeError(
        `mergeLiveSeries: series "${series.key}" has ${series.steps.length} steps but ${series.values.length} values`,
      );
    }
    merged.set(series.key, { ...series, steps: [...series.steps], values: [...series.values] });
  }
  for (const point of live) {
    for (const [key, value] of Object.entries(point.latest)) {
      if (!Number.isFinite(value)) continue;
      let series = merged.get(key);
      if (series === undefined) {
        series = { key, steps: [], values: [], totalPoints: 0 };
        merged.set(key, series);
      }
      const last = series.steps[series.steps.length - 1];
      if (last !== undefined && point.step <= last) continue;
      series.steps.push(point.step);
      series.values.push(value);
      series.totalPoints += 1;
    }
  }
  return [...merged.values()];
}

/**
 * Drops each monitor family's overall key (`charts/success`) when the trained reward's own key
 * (`charts/success/RA`) is present: the trainer logs the same values under both, and the second
 * line would hide the first.
 */
export function dropTrainedDuplicates(
  series: readonly MetricSeries[],
  trainReward: string | null,
): MetricSeries[] {
  if (trainReward === null) return [...series];
  const keys = new Set(series.map((s) => s.key));
  return series.filter(
    (s) => !(MONITOR_FAMILIES as readonly string[]).includes(s.key) || !keys.has(`${s.key}/${trainReward}`),
  );
}
