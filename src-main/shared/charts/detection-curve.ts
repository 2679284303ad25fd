import type { SpikeInData } from '../known-answer-checks';
import type { IntervalSeries } from './interval-lines-options';

/**
 * The spike-in detection curve over replications (issue 11 §5): per aggregator, precision@k of the
 * planted block against the plant's SNR (× the null drift's per-parameter SD; 0 = nothing planted),
 * the line at the mean over the replications checked, the band their range (min–max, not a CI) and
 * each replication a dot. For buildIntervalLinesOptions, in the report and the app alike.
 */
export function detectionCurveSeries(spikes: readonly SpikeInData[]): IntervalSeries[] {
  const aggregators = [...new Set(spikes.flatMap((s) => s.aggregators.map((a) => a.aggregator)))];
  return aggregators.map((name) => {
    const bySnr = new Map<number, number[]>();
    for (const spike of spikes) {
      const row = spike.aggregators.find((a) => a.aggregator === name);
      if (row === undefined) continue;
      if (row.precision.length !== spike.snrs.length) {
        throw new RangeError(
          `detectionCurveSeries: ${name} of seed ${spike.seed} has ${row.precision.length} precisions for ${spike.snrs.length} SNRs`,
        );
      }
      spike.snrs.forEach((snr, i) => bySnr.set(snr, [...(bySnr.get(snr) ?? []), row.precision[i]!]));
    }
    const points = [...bySnr.entries()]
      .sort(([a], [b]) => a - b)
      .map(([x, values]) => ({
        x,
        estimate: values.reduce((sum, v) => sum + v, 0) / values.length,
        low: Math.min(...values),
        high: Math.max(...values),
        perReplication: values,
      }));
    return { name, points };
  });
}
