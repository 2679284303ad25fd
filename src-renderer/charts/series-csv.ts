import type { MetricSeries } from '@shared';
import { toCsv } from '@shared/tables/csv';

/** Wide CSV: a `step` column, then one column per key; blank where a key has no value at a step. */
export function seriesToCsv(series: readonly MetricSeries[]): string {
  for (const s of series) {
    if (s.steps.length !== s.values.length) {
      throw new RangeError(
        `seriesToCsv: series "${s.key}" has ${s.steps.length} steps but ${s.values.length} values`,
      );
    }
  }
  const byStep = new Map<number, (number | undefined)[]>();
  series.forEach((s, column) => {
    s.steps.forEach((step, i) => {
      const row = byStep.get(step) ?? new Array<number | undefined>(series.length).fill(undefined);
      byStep.set(step, row);
      row[column] = s.values[i];
    });
  });
  const rows = [...byStep.entries()].sort(([a], [b]) => a - b).map(([step, row]) => [step, ...row]);
  return toCsv(['step', ...series.map((s) => s.key)], rows);
}
