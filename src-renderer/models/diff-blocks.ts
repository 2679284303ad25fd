import type { TensorDiffPayload } from '@shared/contract-weights';
import { TENSOR_KINDS, tensorBlock, tensorKind, type TensorKind } from '@shared/tensor-names';

/**
 * A large model's diff by block: tensors named `model.layers.N.…`, `h.N.…`, `blocks.N.…` grouped per
 * block, each block's ‖Δ‖ and relative change, and the block × kind matrix (q, k, v, o, up, down,
 * gate, norm, …). Tensors outside every block (embeddings, final norm, head) form one group of
 * their own. A diff with no block at all (the app's `torso.dense1.kernel`) is not grouped.
 */

/** Norms of a set of tensors: ‖Δ‖₂ = √Σ‖Δ_t‖², ‖A‖₂ = √Σ‖A_t‖², relative = ‖Δ‖/‖A‖ (null if ‖A‖ = 0). */
export interface NormSummary {
  l2: number;
  normA: number;
  relativeL2: number | null;
  params: number;
}

export interface BlockGroup extends NormSummary {
  /** `model.layers.3`, or OUTSIDE_BLOCKS. */
  key: string;
  /** Short label for charts: `3` within one stack, `encoder.layer.3` across several. */
  label: string;
  /** Tensors in model order. */
  tensors: TensorDiffPayload[];
}

export const OUTSIDE_BLOCKS = 'outside blocks';

export interface BlockKindCell extends NormSummary {
  /** Tensors of this block and kind (e.g. a weight and its bias). */
  tensors: string[];
}

export interface BlockKindMatrix {
  /** Row labels (one per group, OUTSIDE_BLOCKS last) and their keys. */
  rows: { key: string; label: string }[];
  /** The kinds present, in TENSOR_KINDS order. */
  kinds: TensorKind[];
  /** cells[row][kind], null where the block has no tensor of that kind. */
  cells: (BlockKindCell | null)[][];
}

const paramsOf = (t: TensorDiffPayload): number => t.shape.reduce((a, b) => a * b, 1);

/** The norms of a set of tensors, merged exactly from their per-tensor norms. */
export function summarizeNorms(tensors: readonly TensorDiffPayload[]): NormSummary {
  let l2Squared = 0;
  let normASquared = 0;
  let params = 0;
  for (const t of tensors) {
    l2Squared += t.stats.l2 * t.stats.l2;
    normASquared += t.stats.normA * t.stats.normA;
    params += paramsOf(t);
  }
  const l2 = Math.sqrt(l2Squared);
  const normA = Math.sqrt(normASquared);
  return { l2, normA, relativeL2: normA > 0 ? l2 / normA : null, params };
}

/**
 * Tensors grouped by block: blocks in stack order (stacks by first appearance), then by index; the
 * tensors outside every block last. Null when no tensor is in a block.
 */
export function groupByBlock(tensors: readonly TensorDiffPayload[]): BlockGroup[] | null {
  const groups = new Map<string, { stack: string; index: number; tensors: TensorDiffPayload[] }>();
  const stacks: string[] = [];
  const outside: TensorDiffPayload[] = [];
  for (const tensor of tensors) {
    const block = tensorBlock(tensor.name);
    if (block === null) {
      outside.push(tensor);
      continue;
    }
    if (!stacks.includes(block.stack)) stacks.push(block.stack);
    const group = groups.get(block.key);
    if (group === undefined) groups.set(block.key, { ...block, tensors: [tensor] });
    else group.tensors.push(tensor);
  }
  if (groups.size === 0) return null;
  const ordered = [...groups.entries()].sort(
    ([, x], [, y]) => stacks.indexOf(x.stack) - stacks.indexOf(y.stack) || x.index - y.index,
  );
  const result: BlockGroup[] = ordered.map(([key, group]) => ({
    key,
    label: stacks.length > 1 ? key : String(group.index),
    tensors: group.tensors,
    ...summarizeNorms(group.tensors),
  }));
  if (outside.length > 0)
    result.push({ key: OUTSIDE_BLOCKS, label: OUTSIDE_BLOCKS, tensors: outside, ...summarizeNorms(outside) });
  return result;
}

/** The block × kind matrix of grouped tensors: only the kinds that occur get a column. */
export function blockKindMatrix(groups: readonly BlockGroup[]): BlockKindMatrix {
  const byGroup = groups.map((group) => {
    const byKind = new Map<TensorKind, TensorDiffPayload[]>();
    for (const tensor of group.tensors) {
      const kind = tensorKind(tensor.name);
      byKind.set(kind, [...(byKind.get(kind) ?? []), tensor]);
    }
    return byKind;
  });
  const kinds = TENSOR_KINDS.filter((kind) => byGroup.some((byKind) => byKind.has(kind)));
  return {
    rows: groups.map((g) => ({ key: g.key, label: g.label })),
    kinds,
    cells: byGroup.map((byKind) =>
      kinds.map((kind) => {
        const members = byKind.get(kind);
        return members === undefined
          ? null
          : { tensors: members.map((t) => t.name), ...summarizeNorms(members) };
      }),
    ),
  };
}

export type BlockStat = 'l2' | 'relativeL2';

export const BLOCK_STATS: readonly { key: BlockStat; label: string; description: string }[] = [
  { key: 'l2', label: '‖Δ‖₂', description: 'L2 norm of Δ = B − A over the block' },
  { key: 'relativeL2', label: '‖Δ‖/‖A‖', description: 'Relative change: ‖Δ‖₂ / ‖A‖₂ over the block' },
];

/** One row of the grouped tensor table: a block's header, or a tensor of an expanded block. */
export type GroupedRow =
  | { kind: 'block'; group: BlockGroup; expanded: boolean }
  | { kind: 'tensor'; tensor: TensorDiffPayload; block: string };

/**
 * The table's rows grouped by block: each block's header in block order, followed (when expanded)
 * by its tensors in the table's sort order.
 */
export function groupedRows(
  sorted: readonly TensorDiffPayload[],
  groups: readonly BlockGroup[],
  expanded: ReadonlySet<string>,
): GroupedRow[] {
  const blockOf = new Map<string, string>();
  for (const group of groups) for (const t of group.tensors) blockOf.set(t.name, group.key);
  const rows: GroupedRow[] = [];
  for (const group of groups) {
    const open = expanded.has(group.key);
    rows.push({ kind: 'block', group, expanded: open });
    if (!open) continue;
    for (const tensor of sorted)
      if (blockOf.get(tensor.name) === group.key) rows.push({ kind: 'tensor', tensor, block: group.key });
  }
  return rows;
}

/** The group holding tensor `name`, if any. */
export function blockOfTensor(groups: readonly BlockGroup[], name: string): BlockGroup | null {
  return groups.find((group) => group.tensors.some((t) => t.name === name)) ?? null;
}

/** The tensor of a matrix cell to open on a click: the one with the largest ‖Δ‖. */
export function cellTensor(cell: BlockKindCell, tensors: readonly TensorDiffPayload[]): string | null {
  let best: TensorDiffPayload | null = null;
  for (const t of tensors)
    if (cell.tensors.includes(t.name) && (best === null || t.stats.l2 > best.stats.l2)) best = t;
  return best?.name ?? null;
}
