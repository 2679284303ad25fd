import { describe, expect, it } from 'vitest';
import { formatDuration, formatRate, progressFraction } from '../../../../src-renderer/format/duration';

describe('duration and rate formatting', () => {
  it('prints m:ss below an hour and h:mm:ss above', () => {
    expect(formatDuration(9.4)).toBe('0:09');
    expect(formatDuration(62)).toBe('1:02');
    expect(formatDuration(3723)).toBe('1:02:03');
  });

  it('prints a dash for unknown or impossible durations and rates', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('—');
    expect(formatDuration(-1)).toBe('—');
    expect(formatRate(null)).toBe('—');
    expect(formatRate(Number.NaN)).toBe('—');
  });

  it('prints rates with a separator, and one decimal when small', () => {
    expect(formatRate(3715.4)).toBe('3,715 steps/s');
    expect(formatRate(2.25, 'episodes/s')).toBe('2.3 episodes/s');
  });

  it('clamps progress to [0, 1] and treats an unknown total as no progress', () => {
    expect(progressFraction(512, 2048)).toBe(0.25);
    expect(progressFraction(3000, 2048)).toBe(1);
    expect(progressFraction(10, 0)).toBe(0);
  });
});
