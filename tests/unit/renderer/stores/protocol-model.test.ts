import { describe, expect, it } from 'vitest';
import type { ProtocolNodeInfo } from '@shared';
import { groupNodesByStage, nodeStage } from '../../../../src-renderer/stores/protocol-model';

function node(
  id: string,
  kind: ProtocolNodeInfo['kind'],
  status: ProtocolNodeInfo['status'] = 'done',
): ProtocolNodeInfo {
  return { id, kind, seed: 1, deps: [], status, outputs: {}, error: null, finishedAt: null, progress: null };
}

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
});
