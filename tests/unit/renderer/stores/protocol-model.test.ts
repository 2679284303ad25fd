import { describe, expect, it } from 'vitest';
import type { NegationTableData, ProtocolNodeInfo } from '@shared';
import {
  groupNodesByStage,
  negationCsv,
  negationSeries,
  nodeStage,
} from '../../../../src-renderer/stores/protocol-model';

function node(
  id: string,
  kind: ProtocolNodeInfo['kind'],
  status: ProtocolNodeInfo['status'] = 'done',
): ProtocolNodeInfo {
  return { id, kind, seed: 1, deps: [], status, outputs: {}, error: null, finishedAt: null, progress: null };
}

const iv = (estimate: number, half = 0.1) => ({ estimate, low: estimate - half, high: estimate + half });
const measures = (p: number) => ({ targetCollect: iv(p), raReturn: iv(1), rbReturn: iv(0.5) });

const table: NegationTableData = {
  format: 'deltascope.protocol.negation/1',
  seed: 1,
  raName: 'RA',
  confidence: 0.95,
  bootstrapResamples: 200,
  episodes: 24,
  rbs: [{ name: 'coin', targetKind: 'coin' }],
  base: { checkpointId: 1, measures: { coin: measures(0.4) } },
  control: { checkpointId: 2, measures: { coin: measures(0.45) } },
  finetuned: [{ rb: 'coin', checkpointId: 3, measures: measures(0.9) }],
  rows: [1, 0.5].flatMap((alpha) =>
    (['negate', 'add', 'random'] as const).map((variant, i) => ({
      rb: 'coin',
      variant,
      alpha,
      checkpointId: 10 + i,
      recoveredCheckpointId: 20 + i,
      before: measures(0.3),
      after: measures(variant === 'negate' ? 0.2 : 0.5),
      afterVsRandom: variant === 'random' ? null : { targetCollect: iv(-0.3), raReturn: iv(0) },
      afterVsControl: { targetCollect: iv(-0.25), raReturn: iv(0) },
    })),
  ),
};

describe('protocol model', () => {
  it('sorts nodes into the protocol stages by kind and id', () => {
    expect(nodeStage(node('s1/pretrain', 'train'))).toBe('pretrain');
    expect(nodeStage(node('s1/finetune/coin', 'train'))).toBe('finetune');
    expect(nodeStage(node('s1/null/0', 'train'))).toBe('finetune');
    expect(nodeStage(node('s1/derive/coin/negate/1', 'derive'))).toBe('derive');
    expect(nodeStage(node('s1/derive/coin/negate/1/recover', 'train'))).toBe('recover');
    expect(nodeStage(node('s1/control/recover', 'train'))).toBe('recover');
    expect(nodeStage(node('s1/pretrain/eval', 'evaluate'))).toBe('evaluate');
    expect(nodeStage(node('s1/localize/top/5', 'train'))).toBe('localize');
    expect(nodeStage(node('s1/analysis/negation', 'analysis'))).toBe('analysis');
    const groups = groupNodesByStage([
      node('s1/analysis/negation', 'analysis', 'failed'),
      node('s1/pretrain', 'train'),
      node('s1/finetune/coin', 'train', 'running'),
    ]);
    expect(groups.map((g) => g.id)).toEqual(['pretrain', 'finetune', 'analysis']);
    expect(groups[2]?.counts.failed).toBe(1);
  });

  it('plots P(collect) after recovery per variant against α, with MA and the control as flat references', () => {
    const series = negationSeries(table, 'coin');
    expect(series.map((s) => s.name)).toEqual([
      'MA − α·Δ',
      'MA − α·r (random)',
      'MA + α·Δ',
      'control (MA recovered)',
      'MA',
    ]);
    expect(series[0]?.points.map((p) => [p.x, p.estimate])).toEqual([
      [0.5, 0.2],
      [1, 0.2],
    ]);
    expect(series[3]?.dashed).toBe(true);
    expect(negationSeries(table, 'coin', 'before')[0]?.points.map((p) => p.estimate)).toEqual([0.3, 0.3]);
    expect(series[3]?.points.map((p) => p.estimate)).toEqual([0.45, 0.45]);
  });

  it('writes the negation table as CSV with a blank interval where a comparison is missing', () => {
    const lines = negationCsv(table).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toContain('vs_control_target_collect_low');
    const random = lines.find((line) => line.includes(',random,')) ?? '';
    expect(random.endsWith(',,,')).toBe(true);
  });
});
