import { describe, expect, it } from 'vitest';
import { formatDuration, formatTrainProgress } from '../../../src-main/cli/train-progress';

const base = { jobId: 'job-1', label: 'train', unit: 'env steps', latest: {} };

describe('train progress line', () => {
  it('shows the bar, %, steps, rate, ETA and the trained reward’s latest return and success', () => {
    const line = formatTrainProgress(
      {
        ...base,
        done: 250_000,
        total: 1_000_000,
        ratePerSecond: 12_345.6,
        etaSeconds: 3725,
        latest: { 'charts/episodic_return': 0.8125, 'charts/success': 0.9, 'charts/success/RB': 0.1 },
      },
      8,
    );
    expect(line).toBe(
      '[##------]   25.0%  250,000/1,000,000 steps  12,346 steps/s  ETA 1:02:05  return 0.813  success 90.0%',
    );
  });

  it('shows dashes before a rate is known and leaves out return and success until episodes end', () => {
    const line = formatTrainProgress(
      { ...base, done: 0, total: 64, ratePerSecond: null, etaSeconds: null },
      4,
    );
    expect(line).toBe('[----]    0.0%  0/64 steps  – steps/s  ETA –');
  });

  it('formats durations as m:ss or h:mm:ss', () => {
    expect([0, 59.6, 61, 3599, 3600, 90061].map(formatDuration)).toEqual([
      '0:00',
      '1:00',
      '1:01',
      '59:59',
      '1:00:00',
      '25:01:01',
    ]);
  });
});
