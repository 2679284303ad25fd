import { describe, expect, it } from 'vitest';
import {
  nextSort,
  runConfig,
  sortRunRows,
  type RunTableRow,
} from '../../../../src-renderer/models/run-table';
import { run } from '../sample-tree';

function named(id: number, name: string, phase: RunTableRow['run']['phase'] = 'retrain', seed = 1) {
  return { ...run(id, [], name), phase, seed };
}

describe('runConfig', () => {
  it('reads α, arm and RB from protocol run names', () => {
    expect(runConfig(named(1, 's1/derive/coin/negate/0.5/recover'))).toEqual({
      arm: 'negate',
      rb: 'coin',
      alpha: 0.5,
    });
    expect(runConfig(named(2, 's2/finetune/gem', 'finetune'))).toEqual({
      arm: 'finetune',
      rb: 'gem',
      alpha: null,
    });
    expect(runConfig(named(3, 's1/null/0', 'control'))).toEqual({
      arm: 'null control',
      rb: null,
      alpha: null,
    });
    expect(runConfig(named(4, 's1/control/recover'))).toEqual({ arm: 'control', rb: null, alpha: 0 });
    expect(runConfig(named(5, 's1/localize/top/10')).arm).toBe('localize top 10 %');
  });

  it('falls back to the phase, and a fine-tune’s reward, for other names', () => {
    const coin = { ...named(6, 'coin', 'finetune'), reward: { ...named(6, 'x').reward, name: 'coin' } };
    expect(runConfig(coin)).toEqual({ arm: 'finetune', rb: 'coin', alpha: null });
    expect(runConfig(named(7, 'MA', 'pretrain'))).toEqual({ arm: 'pretrain', rb: null, alpha: null });
  });
});

describe('sortRunRows', () => {
  const rows: RunTableRow[] = [
    {
      run: named(1, 's1/derive/coin/negate/1/recover'),
      config: runConfig(named(1, 's1/derive/coin/negate/1/recover')),
      final: { return: 0.2 },
    },
    {
      run: named(2, 's1/derive/coin/negate/0.5/recover'),
      config: runConfig(named(2, 's1/derive/coin/negate/0.5/recover')),
      final: { return: 0.9 },
    },
    {
      run: named(3, 's1/pretrain', 'pretrain'),
      config: runConfig(named(3, 's1/pretrain', 'pretrain')),
      final: {},
    },
  ];

  it('sorts by α and by a final metric either way, empty cells last', () => {
    expect(sortRunRows(rows, { column: 'alpha', descending: false }).map((r) => r.run.id)).toEqual([2, 1, 3]);
    expect(sortRunRows(rows, { column: 'alpha', descending: true }).map((r) => r.run.id)).toEqual([1, 2, 3]);
    expect(sortRunRows(rows, { column: 'return', descending: true }).map((r) => r.run.id)).toEqual([2, 1, 3]);
    expect(sortRunRows(rows, { column: 'return', descending: false }).map((r) => r.run.id)).toEqual([
      1, 2, 3,
    ]);
  });

  it('sorts names with numbers in numeric order', () => {
    expect(sortRunRows(rows, { column: 'name', descending: false }).map((r) => r.run.name)).toEqual([
      's1/derive/coin/negate/0.5/recover',
      's1/derive/coin/negate/1/recover',
      's1/pretrain',
    ]);
  });

  it('flips the direction on the same header; metrics start descending', () => {
    expect(nextSort({ column: 'name', descending: false }, 'name')).toEqual({
      column: 'name',
      descending: true,
    });
    expect(nextSort({ column: 'name', descending: false }, 'success')).toEqual({
      column: 'success',
      descending: true,
    });
    expect(nextSort({ column: 'name', descending: true }, 'seed')).toEqual({
      column: 'seed',
      descending: false,
    });
  });
});
