import { describe, expect, it } from 'vitest';
import { nodeStartTimes } from '../../../src-main/protocol/node-timings';

const at = (second: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

describe('nodeStartTimes', () => {
  const nodes = [
    { id: 's1/pretrain', kind: 'train', deps: [] },
    { id: 's1/finetune/coin', kind: 'train', deps: ['s1/pretrain'] },
    { id: 's1/derive/a', kind: 'derive', deps: ['s1/finetune/coin'] },
    { id: 's1/derive/b', kind: 'derive', deps: ['s1/finetune/coin'] },
    { id: 's1/analysis/x', kind: 'analysis', deps: ['s1/derive/a', 's1/derive/b'] },
    { id: 's1/eval', kind: 'evaluate', deps: ['s1/missing'] },
  ];

  it('starts a training node at its run’s creation and a local one when it could start', () => {
    const starts = nodeStartTimes({
      nodes,
      finishedAt: new Map([
        ['s1/pretrain', at(10)],
        ['s1/finetune/coin', at(20)],
        ['s1/derive/a', at(25)],
        ['s1/derive/b', at(31)],
        ['s1/analysis/x', at(40)],
      ]),
      runCreatedAt: new Map([
        ['s1/pretrain', at(0)],
        ['s1/finetune/coin', at(11)],
      ]),
    });
    expect(starts.get('s1/pretrain')).toBe(at(0));
    expect(starts.get('s1/finetune/coin')).toBe(at(11));
    // Ready when the fine-tune finished; the runner takes local nodes one at a time, so b waits for a.
    expect(starts.get('s1/derive/a')).toBe(at(20));
    expect(starts.get('s1/derive/b')).toBe(at(25));
    expect(starts.get('s1/analysis/x')).toBe(at(31));
    // An input that never finished: not started.
    expect(starts.get('s1/eval')).toBeNull();
  });

  it('starts a running local node after the last local finish, and knows nothing without a run', () => {
    const starts = nodeStartTimes({
      nodes,
      finishedAt: new Map([
        ['s1/pretrain', at(10)],
        ['s1/finetune/coin', at(20)],
        ['s1/derive/a', at(25)],
      ]),
      runCreatedAt: new Map(),
    });
    expect(starts.get('s1/pretrain')).toBeNull();
    expect(starts.get('s1/derive/b')).toBe(at(25));
  });
});
