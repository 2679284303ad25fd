import { describe, expect, it } from 'vitest';
import { groupMetricKeys, metricFamily } from '../../../../src-renderer/charts/metric-groups';

describe('metricFamily', () => {
  it('splits section and family, dropping a per-reward suffix', () => {
    expect(metricFamily('charts/episodic_return/coin')).toEqual({
      section: 'charts',
      family: 'charts/episodic_return',
      title: 'episodic_return',
    });
    expect(metricFamily('loss')).toEqual({ section: 'other', family: 'loss', title: 'loss' });
  });
});

describe('groupMetricKeys', () => {
  it('puts charts before losses before other sections, families sorted, variants in one chart', () => {
    const sections = groupMetricKeys([
      'losses/value_loss',
      'custom/thing',
      'charts/episodic_return/coin',
      'losses/entropy',
      'charts/episodic_return',
      'charts/learning_rate',
    ]);
    expect(sections.map((s) => s.name)).toEqual(['charts', 'losses', 'custom']);
    const charts = sections[0]?.charts ?? [];
    expect(charts.map((c) => c.title)).toEqual(['episodic_return', 'learning_rate']);
    expect(charts[0]?.keys).toEqual(['charts/episodic_return', 'charts/episodic_return/coin']);
    expect(sections[1]?.charts.map((c) => c.title)).toEqual(['entropy', 'value_loss']);
  });

  it('ignores duplicate keys and returns nothing for no keys', () => {
    expect(groupMetricKeys([])).toEqual([]);
    const [section] = groupMetricKeys(['losses/entropy', 'losses/entropy']);
    expect(section?.charts[0]?.keys).toEqual(['losses/entropy']);
  });
});
