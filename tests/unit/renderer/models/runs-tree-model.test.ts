import { describe, expect, it } from 'vitest';
import {
  filterTree,
  ancestorKeys,
  buildTreeIndex,
  treeMove,
  visibleRows,
} from '../../../../src-renderer/models/runs-tree-model';
import { run, sampleTree } from '../sample-tree';

const tree = sampleTree();

describe('visibleRows', () => {
  it('shows only children of expanded nodes, with levels and positions', () => {
    const rows = visibleRows(tree, new Set(['e:1']));
    expect(rows.map((r) => r.key)).toEqual(['e:1', 'r:10', 'r:11', 'e:2']);
    expect(rows.map((r) => r.level)).toEqual([1, 2, 2, 1]);
    expect(rows[1]).toMatchObject({
      expandable: true,
      expanded: false,
      posInSet: 1,
      setSize: 2,
      parentKey: 'e:1',
    });
    expect(rows[2]?.expandable).toBe(false);
    expect(rows[3]?.expandable).toBe(false);
  });

  it('lists checkpoints under an expanded run', () => {
    const rows = visibleRows(tree, new Set(['e:1', 'r:10']));
    expect(rows.map((r) => r.key)).toEqual(['e:1', 'r:10', 'c:100', 'c:101', 'r:11', 'e:2']);
  });
});

describe('treeMove', () => {
  const rows = visibleRows(tree, new Set(['e:1']));

  it('moves up and down, clamped at the ends, and jumps with Home/End', () => {
    expect(treeMove(rows, 'r:10', 'ArrowDown')).toEqual({ focus: 'r:11' });
    expect(treeMove(rows, 'e:2', 'ArrowDown')).toEqual({ focus: 'e:2' });
    expect(treeMove(rows, 'e:1', 'ArrowUp')).toEqual({ focus: 'e:1' });
    expect(treeMove(rows, 'r:11', 'Home')).toEqual({ focus: 'e:1' });
    expect(treeMove(rows, 'e:1', 'End')).toEqual({ focus: 'e:2' });
  });

  it('expands a closed node with Right, then enters its first child', () => {
    expect(treeMove(rows, 'r:10', 'ArrowRight')).toEqual({ expand: 'r:10' });
    expect(treeMove(rows, 'e:1', 'ArrowRight')).toEqual({ focus: 'r:10' });
    expect(treeMove(rows, 'r:11', 'ArrowRight')).toEqual({});
  });

  it('collapses an open node with Left, or goes to the parent', () => {
    expect(treeMove(rows, 'e:1', 'ArrowLeft')).toEqual({ collapse: 'e:1' });
    expect(treeMove(rows, 'r:11', 'ArrowLeft')).toEqual({ focus: 'e:1' });
    expect(treeMove(rows, 'e:2', 'ArrowLeft')).toEqual({});
  });

  it('focuses the first row when nothing is focused', () => {
    expect(treeMove(rows, null, 'ArrowDown')).toEqual({ focus: 'e:1' });
    expect(treeMove([], null, 'ArrowDown')).toEqual({});
  });
});

describe('ancestorKeys', () => {
  const index = buildTreeIndex(tree);

  it('names the rows to expand so a node becomes visible', () => {
    expect(ancestorKeys(index, { kind: 'checkpoint', id: 101 })).toEqual(['e:1', 'r:10']);
    expect(ancestorKeys(index, { kind: 'run', id: 11 })).toEqual(['e:1']);
    expect(ancestorKeys(index, { kind: 'experiment', id: 2 })).toEqual([]);
  });

  it('returns null for ids that are not in the tree', () => {
    expect(ancestorKeys(index, { kind: 'checkpoint', id: 999 })).toBeNull();
    expect(ancestorKeys(index, { kind: 'run', id: 999 })).toBeNull();
  });
});

describe('filterTree', () => {
  const tree = [
    {
      ...sampleTree()[0]!,
      runs: [
        { ...run(10, [], 's1/derive/coin/negate/0.5/recover'), phase: 'retrain' as const },
        { ...run(11, [], 's1/finetune/coin'), phase: 'finetune' as const, seed: 3 },
        run(12, [], 's2/pretrain'),
      ],
    },
  ];

  it('keeps runs in which every word occurs, case-insensitively, in name, phase, reward or seed', () => {
    expect(filterTree(tree, 'COIN negate')[0]!.runs.map((r) => r.id)).toEqual([10]);
    expect(filterTree(tree, 'finetune')[0]!.runs.map((r) => r.id)).toEqual([11]);
    expect(filterTree(tree, 's3')[0]!.runs.map((r) => r.id)).toEqual([11]);
    expect(filterTree(tree, 'ra pretrain')[0]!.runs.map((r) => r.id)).toEqual([12]);
  });

  it('leaves out experiments with no match and keeps everything for blank words', () => {
    expect(filterTree(tree, 'gem')).toEqual([]);
    expect(filterTree(tree, '   ')).toEqual(tree);
  });
});
