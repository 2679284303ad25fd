import { addToAbsHistogram, emptyAbsHistogram, type AbsHistogram } from './abs-percentile';
import { buildPyramid, poolRowsByTwo } from './heatmap-pyramid';
import { levelToFit, matrixShape, tensorAsMatrix, type HeatmapMatrix } from './heatmap-tiles';
import { shapeSize } from './tensor-map';

/**
 * A tensor's heatmap built in one pass over its values, a few rows at a time: each chunk of whole
 * row pairs is read (for a Δ: A, B and their difference), added to the |v| histogram of the colour
 * scale and pooled into pyramid level 1 while it is still in cache; the levels above pool level 1.
 * Everything a first paint needs (the scale, any tile at any level) then comes without another pass
 * over the tensor except the percentile's pass over one histogram bin. A conv kernel (laid out as
 * a mosaic, not in its storage order) is read whole, then pooled.
 */

export interface HeatmapView {
  matrix: HeatmapMatrix;
  /** Levels 1…top (index L − 1 holds level L), top the level where the matrix is one cell. */
  pyramid: HeatmapMatrix[];
  histogram: AbsHistogram;
}

/** Elements per chunk read (rounded to whole row pairs). */
const CHUNK_ELEMENTS = 1 << 20;

/** `fill(start, out)` writes the tensor's elements [start, start + out.length) into `out`. */
export function buildHeatmapView(
  shape: readonly number[],
  fill: (start: number, out: Float32Array) => void,
  chunkElements = CHUNK_ELEMENTS,
): HeatmapView {
  const { rows, cols, layout } = matrixShape(shape);
  const histogram = emptyAbsHistogram();
  const data = new Float32Array(shapeSize(shape));
  if (layout === 'conv-mosaic') {
    fill(0, data);
    const matrix = tensorAsMatrix(shape, data);
    addToAbsHistogram(matrix.data, 0, matrix.data.length, histogram);
    return { matrix, pyramid: buildPyramid(matrix, levelToFit(matrix, 1)), histogram };
  }
  const matrix: HeatmapMatrix = { rows, cols, layout, data };
  const top = levelToFit(matrix, 1);
  const level1: HeatmapMatrix = {
    rows: Math.ceil(rows / 2),
    cols: Math.ceil(cols / 2),
    layout,
    data: new Float32Array(Math.ceil(rows / 2) * Math.ceil(cols / 2)),
  };
  const chunkRows = Math.max(2, 2 * Math.floor(chunkElements / (2 * Math.max(1, cols))));
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const r1 = Math.min(rows, r0 + chunkRows);
    if (cols > 0) fill(r0 * cols, data.subarray(r0 * cols, r1 * cols));
    addToAbsHistogram(data, r0 * cols, r1 * cols, histogram);
    if (top >= 1) poolRowsByTwo(matrix, r0 / 2, Math.ceil(r1 / 2), level1.data);
  }
  return { matrix, pyramid: top >= 1 ? buildPyramid(matrix, top, level1) : [], histogram };
}
