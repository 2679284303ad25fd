import type {
  CheckpointSide,
  DeltaStatsPayload,
  DiffComputeResult,
  HeatmapTilePayload,
  TensorDiffPayload,
} from '@shared/contract-weights';
import { layoutOf } from '../../../src-renderer/heatmap/cell-index';

/** Statistics with the given figures; the rest consistent enough for display and sorting. */
export function stats(overrides: Partial<DeltaStatsPayload> = {}): DeltaStatsPayload {
  return {
    count: 100,
    nonFinite: 0,
    l2: 0,
    relativeL2: 0,
    maxAbs: 0,
    mean: 0,
    std: 0,
    epsilon: 1e-6,
    aboveEpsilon: 0,
    fractionAboveEpsilon: 0,
    cosine: 1,
    signFlips: 0,
    signFlipFraction: 0,
    normA: 1,
    normB: 1,
    histogram: { limit: 1, counts: [0, 100, 0, 0] },
    ...overrides,
  };
}

export function tensorDiff(
  name: string,
  shape: number[],
  overrides: Partial<DeltaStatsPayload> = {},
): TensorDiffPayload {
  const { rows, cols, layout } = layoutOf(shape);
  return {
    name,
    shape,
    layout,
    matrixRows: rows,
    matrixCols: cols,
    stats: stats(overrides),
    shareOfChange: null,
  };
}

export function side(label: string): CheckpointSide {
  return {
    label,
    source: 'checkpoint',
    checkpoint: null,
    runName: null,
    file: null,
    tensorCount: 3,
    paramCount: 10,
  };
}

/** A diff of three tensors: the kernel changed most, the bias a little, the head not at all. */
export function sampleDiff(): DiffComputeResult {
  return {
    a: side('checkpoint 100'),
    b: side('checkpoint 101'),
    tensors: [
      tensorDiff('torso.bias', [4], {
        l2: 0.5,
        maxAbs: 0.4,
        relativeL2: 0.1,
        signFlips: 1,
        signFlipFraction: 0.25,
      }),
      tensorDiff('torso.kernel', [4, 4], { l2: 3, maxAbs: 1, relativeL2: 0.9, fractionAboveEpsilon: 0.5 }),
      tensorDiff('head.kernel', [4, 2], { l2: 0, relativeL2: null, cosine: null }),
    ],
    model: stats({ l2: 3.04, maxAbs: 1 }),
    skipped: [],
    jobId: null,
    elapsedMs: 3,
  };
}

/** Float32 values as the contract's little-endian base64. */
export function base64(values: number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}

/** A 2×3 whole-tensor `diff.tile` reply of tensor `k` (robust limit 2.5). */
export function tile(overrides: Partial<HeatmapTilePayload> = {}): HeatmapTilePayload {
  return {
    tensor: 'k',
    view: 'delta',
    shape: [2, 3],
    layout: 'matrix',
    matrixRows: 2,
    matrixCols: 3,
    level: 0,
    factor: 1,
    levelRows: 2,
    levelCols: 3,
    tileSize: 256,
    tilesDown: 1,
    tilesAcross: 1,
    fitLevel: 0,
    tileRow: 0,
    tileCol: 0,
    rowStart: 0,
    colStart: 0,
    rows: 2,
    cols: 3,
    values: base64([1, -2, 0.5, 0, 3, -1]),
    scale: { limit: 2.5, percentile: 99, maxAbs: 3 },
    ...overrides,
  };
}
