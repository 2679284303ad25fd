import { describe, expect, it } from 'vitest';
import {
  blockKindMatrix,
  blockOfTensor,
  cellTensor,
  groupByBlock,
  groupedRows,
  OUTSIDE_BLOCKS,
  summarizeNorms,
} from '../../../../src-renderer/models/diff-blocks';
import { tensorDiff } from '../diff-fixtures';

/** A two-layer Llama-style diff: ‖Δ‖ 3 and 4 in layer 1's q and up (so layer 1's ‖Δ‖ is 5). */
const llama = [
  tensorDiff('model.embed_tokens.weight', [8, 4], { l2: 0, normA: 2 }),
  tensorDiff('model.layers.0.self_attn.q_proj.weight', [4, 4], { l2: 1, normA: 2 }),
  tensorDiff('model.layers.0.mlp.up_proj.weight', [8, 4], { l2: 0, normA: 2 }),
  tensorDiff('model.layers.1.self_attn.q_proj.weight', [4, 4], { l2: 3, normA: 2 }),
  tensorDiff('model.layers.1.self_attn.q_proj.bias', [4], { l2: 0, normA: 0 }),
  tensorDiff('model.layers.1.mlp.up_proj.weight', [8, 4], { l2: 4, normA: 2 }),
  tensorDiff('model.layers.1.input_layernorm.weight', [4], { l2: 0, normA: 2 }),
  tensorDiff('model.norm.weight', [4], { l2: 0, normA: 0 }),
  tensorDiff('lm_head.weight', [8, 4], { l2: 0, normA: 2 }),
];

describe('diff by block', () => {
  it('merges norms exactly: ‖Δ‖ = √Σ‖Δ_t‖², relative over ‖A‖ = √Σ‖A_t‖²', () => {
    const s = summarizeNorms(llama.slice(3, 6));
    expect(s.l2).toBeCloseTo(5, 12);
    expect(s.normA).toBeCloseTo(Math.sqrt(8), 12);
    expect(s.relativeL2).toBeCloseTo(5 / Math.sqrt(8), 12);
    expect(s.params).toBe(16 + 4 + 32);
    expect(summarizeNorms([llama[7]!]).relativeL2).toBeNull();
  });

  it('groups tensors per block in block order, everything else last', () => {
    const groups = groupByBlock([...llama].reverse())!;
    expect(groups.map((g) => g.key)).toEqual(['model.layers.0', 'model.layers.1', OUTSIDE_BLOCKS]);
    expect(groups.map((g) => g.label)).toEqual(['0', '1', OUTSIDE_BLOCKS]);
    expect(groups[1]!.tensors).toHaveLength(4);
    expect(groups[1]!.l2).toBeCloseTo(5, 12);
    expect(groups[2]!.tensors.map((t) => t.name).sort()).toEqual([
      'lm_head.weight',
      'model.embed_tokens.weight',
      'model.norm.weight',
    ]);
  });

  it('leaves the app’s own names ungrouped', () => {
    expect(
      groupByBlock([tensorDiff('torso.dense1.kernel', [4, 4]), tensorDiff('value.bias', [1])]),
    ).toBeNull();
  });

  it('labels blocks by their full name when there are several stacks (encoder and decoder)', () => {
    const groups = groupByBlock([
      tensorDiff('encoder.layer.0.attention.self.query.weight', [2, 2]),
      tensorDiff('decoder.layer.0.attention.self.query.weight', [2, 2]),
    ])!;
    expect(groups.map((g) => g.label)).toEqual(['encoder.layer.0', 'decoder.layer.0']);
  });

  it('lays out the block × kind matrix with only the kinds present, a weight and its bias in one cell', () => {
    const matrix = blockKindMatrix(groupByBlock(llama)!);
    expect(matrix.rows.map((r) => r.label)).toEqual(['0', '1', OUTSIDE_BLOCKS]);
    expect(matrix.kinds).toEqual(['embed', 'q', 'up', 'norm', 'head']);
    const q1 = matrix.cells[1]![1]!;
    expect(q1.tensors).toEqual([
      'model.layers.1.self_attn.q_proj.weight',
      'model.layers.1.self_attn.q_proj.bias',
    ]);
    expect(q1.l2).toBeCloseTo(3, 12);
    expect(matrix.cells[1]![2]!.l2).toBeCloseTo(4, 12);
    // Layer 0 has no norm tensor: a blank cell; the outside row has embed, norm and head only.
    expect(matrix.cells[0]![3]).toBeNull();
    expect(matrix.cells[2]!.map((c) => c !== null)).toEqual([true, false, false, true, true]);
    expect(cellTensor(q1, llama)).toBe('model.layers.1.self_attn.q_proj.weight');
  });

  it('lists block headers and the tensors of open blocks in the table’s order', () => {
    const groups = groupByBlock(llama)!;
    const rows = groupedRows([...llama].reverse(), groups, new Set(['model.layers.1']));
    expect(
      rows.map((r) => (r.kind === 'block' ? `[${r.group.key}${r.expanded ? ' open' : ''}]` : r.tensor.name)),
    ).toEqual([
      '[model.layers.0]',
      '[model.layers.1 open]',
      'model.layers.1.input_layernorm.weight',
      'model.layers.1.mlp.up_proj.weight',
      'model.layers.1.self_attn.q_proj.bias',
      'model.layers.1.self_attn.q_proj.weight',
      `[${OUTSIDE_BLOCKS}]`,
    ]);
    expect(blockOfTensor(groups, 'lm_head.weight')?.key).toBe(OUTSIDE_BLOCKS);
  });
});
