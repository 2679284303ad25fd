import { describe, expect, it } from 'vitest';
import { detectionCurveSeries } from '../../../../src-main/shared/charts/detection-curve';
import type { SpikeInData } from '../../../../src-main/shared/known-answer-checks';
import { spikeInFixture } from '../../protocol/known-answer-checks-fixture';

const withPrecision = (seed: number, precision: number[]): SpikeInData => {
  const base = spikeInFixture();
  return {
    ...base,
    seed,
    snrs: [2, 1, 0],
    aggregators: [{ aggregator: 'mean', precision, detectionSnr: 1, pass: true }],
  };
};

describe('the spike-in detection curve over replications', () => {
  it('puts each SNR at the mean precision of the replications, the band at their range, each replication a dot', () => {
    const [mean] = detectionCurveSeries([
      withPrecision(1, [0.9, 0.5, 0.0]),
      withPrecision(2, [0.7, 0.3, 0.1]),
    ]);
    expect(mean!.name).toBe('mean');
    expect(mean!.points.map((p) => p.x)).toEqual([0, 1, 2]);
    const at2 = mean!.points[2]!;
    expect(at2.estimate).toBeCloseTo(0.8, 12);
    expect([at2.low, at2.high]).toEqual([0.7, 0.9]);
    expect(at2.perReplication).toEqual([0.9, 0.7]);
  });

  it('refuses a replication whose precisions do not match its SNRs', () => {
    expect(() => detectionCurveSeries([withPrecision(3, [0.9, 0.5])])).toThrow(
      /mean of seed 3 has 2 precisions for 3 SNRs/,
    );
  });
});
