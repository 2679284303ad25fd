import { describe, expect, it } from 'vitest';
import type { ExperimentNode, RunNode } from '@shared';
import { edgePath, LINEAGE_GEOMETRY, layoutLineage } from '../../../../src-renderer/models/lineage-model';
import { checkpoint, run } from '../sample-tree';

function withPhase(
  node: RunNode,
  phase: RunNode['phase'],
  parentCheckpointId: number | null = null,
): RunNode {
  return { ...node, phase, parentCheckpointId };
}

/** pretrain (1, 2) → fine-tunes coin (3, 4) and gem (5) from 2 → derived 6 = f(4, 5) → retrain 7 from 6. */
function experiment(): ExperimentNode {
  const derived = checkpoint(6, 40, 0);
  derived.provenance = { ...derived.provenance, kind: 'arithmetic', inputs: [4, 5] };
  return {
    id: 1,
    name: 'maze',
    description: '',
    createdAt: '2025-01-01T00:00:00.000Z',
    runs: [
      withPhase(run(10, [checkpoint(1, 10, 0), checkpoint(2, 10, 100, 1)], 'MA'), 'pretrain'),
      withPhase(run(20, [checkpoint(3, 20, 10, 2), checkpoint(4, 20, 20, 3)], 'coin'), 'finetune', 2),
      withPhase(run(30, [checkpoint(5, 30, 10, 2)], 'gem'), 'finetune', 2),
      withPhase(run(40, [derived], 'derived'), 'derived'),
      withPhase(run(50, [checkpoint(7, 50, 10, 6)], 'retrained'), 'retrain', 6),
      withPhase(run(60, [], 'empty'), 'control'),
    ],
  };
}

describe('lineage layout', () => {
  it('places each checkpoint one column right of what it came from', () => {
    const layout = layoutLineage(experiment());
    const col = (id: number) => layout.nodes.find((n) => n.checkpoint.id === id)?.col;
    expect([1, 2, 3, 4, 5, 6, 7].map(col)).toEqual([0, 1, 2, 3, 2, 4, 5]);
  });

  it('gives each run with checkpoints a lane, children below their parent run', () => {
    const layout = layoutLineage(experiment());
    expect(layout.lanes.map((lane) => lane.run.name)).toEqual(['MA', 'coin', 'derived', 'retrained', 'gem']);
    const lane = (id: number) => layout.nodes.find((n) => n.checkpoint.id === id)?.lane;
    expect(lane(4)).toBe(1);
    expect(lane(5)).toBe(4);
  });

  it('tells training steps, fine-tune branches and derivation inputs apart', () => {
    const { edges } = layoutLineage(experiment());
    const kind = (from: number, to: number) => edges.find((e) => e.from === from && e.to === to)?.kind;
    expect(kind(1, 2)).toBe('step');
    expect(kind(2, 3)).toBe('branch');
    expect(kind(2, 5)).toBe('branch');
    expect(kind(4, 6)).toBe('derived');
    expect(kind(5, 6)).toBe('derived');
    expect(kind(6, 7)).toBe('branch');
    expect(edges).toHaveLength(7);
  });

  it('never stacks two checkpoints of a derived run in one cell', () => {
    const exp = experiment();
    const second = checkpoint(8, 40, 1);
    second.provenance = { ...second.provenance, kind: 'arithmetic', inputs: [4, 5] };
    exp.runs[3]!.checkpoints.push(second);
    const layout = layoutLineage(exp);
    const cells = layout.nodes.map((n) => `${n.lane}:${n.col}`);
    expect(new Set(cells).size).toBe(cells.length);
    // Alternative results of one derivation are not a training sequence: no step edge between them.
    expect(layout.edges.some((e) => e.from === 6 && e.to === 8)).toBe(false);
  });

  it('survives a cycle in damaged provenance', () => {
    const a = checkpoint(1, 10, 0, 2);
    const b = checkpoint(2, 10, 5, 1);
    const layout = layoutLineage({
      id: 1,
      name: 'x',
      description: '',
      createdAt: '',
      runs: [run(10, [a, b])],
    });
    expect(layout.nodes).toHaveLength(2);
  });

  it('sizes the drawing to its nodes and draws edges between node sides', () => {
    const layout = layoutLineage(experiment());
    const g = LINEAGE_GEOMETRY;
    for (const node of layout.nodes) {
      expect(node.x + g.nodeWidth).toBeLessThanOrEqual(layout.width);
      expect(node.y + g.nodeHeight).toBeLessThanOrEqual(layout.height);
    }
    const [first, second] = layout.nodes;
    expect(edgePath(first!, second!)).toMatch(/^M \d+ \d+ C /);
  });
});
