import { describe, expect, it } from 'vitest';
import {
  checkpointOrigin,
  formatBytes,
  formatCompact,
  formatCount,
  formatMetricValue,
  formatRewardWeights,
  formatShape,
  shapeSize,
} from '../../../../src-renderer/format/display-format';
import { safeFileName } from '../../../../src-renderer/format/file-names';

describe('display formatting', () => {
  it('formats byte sizes with binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(43_796)).toBe('42.8 KB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GB');
    expect(() => formatBytes(-1)).toThrow(/bytes must be ≥ 0/);
  });

  it('formats counts, compact steps and metric values', () => {
    expect(formatCount(200704)).toBe('200,704');
    expect(formatCompact(950)).toBe('950');
    expect(formatCompact(12_300)).toBe('12.3k');
    expect(formatCompact(2_000_000)).toBe('2M');
    expect(formatMetricValue(0.123456)).toBe('0.1235');
    expect(formatMetricValue(0.00025)).toBe('2.50e-4');
    expect(formatMetricValue(0)).toBe('0');
    expect(formatMetricValue(Number.NaN)).toBe('NaN');
  });

  it('formats shapes and their sizes', () => {
    expect(formatShape([484, 256])).toBe('484 × 256');
    expect(formatShape([])).toBe('scalar');
    expect(shapeSize([484, 256])).toBe(123_904);
    expect(shapeSize([])).toBe(1);
  });

  it('lists a reward’s weights with signs', () => {
    expect(
      formatRewardWeights({ name: 'RA', collect: { cheese: 1 }, stepCost: -0.01, reach: { topRight: 0.5 } }),
    ).toBe('cheese +1 · reach topRight +0.5 · step −0.01');
    expect(formatRewardWeights({ name: 'null', collect: {}, stepCost: 0, reach: {} })).toBe('no weights');
  });

  it('makes safe file names', () => {
    expect(safeFileName('MA run-charts/episodic_return')).toBe('MA_run-charts_episodic_return');
    expect(safeFileName('///')).toBe('export');
  });

  it('says a derived checkpoint was made by weight arithmetic, not trained on its run’s reward', () => {
    const reward = { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} };
    const arithmetic = {
      step: 43,
      provenance: {
        kind: 'arithmetic' as const,
        description: 'negation',
        inputs: [5, 8],
        formula: 'A - 0.5*(B - A)',
        details: {},
      },
    };
    expect(checkpointOrigin(arithmetic, { phase: 'derived', reward })).toBe(
      'made by weight arithmetic: A - 0.5*(B - A)',
    );
    const trained = {
      step: 4096,
      provenance: { kind: 'training' as const, description: '', inputs: [], details: {} },
    };
    expect(checkpointOrigin(trained, { phase: 'finetune', reward })).toBe('step 4,096 · trained on RA');
  });
});
