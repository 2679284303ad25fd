import { describe, expect, it } from 'vitest';
import type { ProtocolNodeInfo } from '@shared';
import {
  groupNodesByStage,
  nodeSeconds,
  nodeStage,
  nodeTargets,
  stageTiming,
} from '../../../../src-renderer/models/protocol-model';

function node(
  id: string,
  kind: ProtocolNodeInfo['kind'],
  status: ProtocolNodeInfo['status'] = 'done',
): ProtocolNodeInfo {
  return {
    id,
    kind,
    seed: 1,
    deps: [],
    status,
    outputs: {},
    error: null,
    startedAt: null,
    finishedAt: null,
    progress: null,
  };
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

describe('node and stage timings', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const iso = (s: number): string => new Date(t0 + s * 1000).toISOString();
  const timed = (id: string, start: number, end: number | null, status: ProtocolNodeInfo['status']) => ({
    ...node(id, 'train', status),
    startedAt: iso(start),
    finishedAt: end === null ? null : iso(end),
  });

  it('times a finished node start to end and a running one until now', () => {
    expect(nodeSeconds(timed('a', 0, 30, 'done'), t0 + 99_000)).toBe(30);
    expect(nodeSeconds(timed('b', 10, null, 'running'), t0 + 25_000)).toBe(15);
    expect(nodeSeconds(node('c', 'train'), t0)).toBeNull();
  });

  it('sums a stage’s node time and spans its wall time from first start to last end', () => {
    const timing = stageTiming(
      [timed('a', 0, 30, 'done'), timed('b', 10, 50, 'done'), node('c', 'train')],
      t0,
    );
    expect(timing).toEqual({ nodeSeconds: 70, wallSeconds: 50, timed: 2 });
    expect(stageTiming([node('c', 'train')], t0).wallSeconds).toBeNull();
  });

  it('opens a node’s run and checkpoint, and the report for evaluations and analyses', () => {
    const training = { ...node('s1/pretrain', 'train'), outputs: { runId: 3, checkpointId: 9 } };
    expect(nodeTargets(training).map((t) => [t.kind, t.id])).toEqual([
      ['run', 3],
      ['checkpoint', 9],
    ]);
    expect(nodeTargets({ ...node('s1/analysis/negation', 'analysis'), outputs: { artifactId: 4 } })).toEqual([
      { kind: 'report', id: null, label: 'Open the report' },
    ]);
    expect(nodeTargets(node('s1/analysis/negation', 'analysis', 'failed'))).toEqual([]);
  });
});
