import type { ObservationLayout } from '../observation-layout';

/**
 * First-layer weights folded back into the observation they read (the layout comes from the main
 * side, `weights.observation`): a dense kernel [C·H·W, units] has row r = c·H·W + y·W + x reading
 * channel c at cell (x, y). Pure functions over row-major Float32Arrays.
 */

export type RelevanceReduce = 'sum' | 'max';

/** A dense matrix: rows × cols values, row-major. */
export interface DenseMatrix {
  rows: number;
  cols: number;
  values: Float32Array;
}

/** One plane of the observation: H × W values, row-major (cell (x, y) at y·W + x). */
export interface ObservationPlane {
  channel: string;
  values: Float32Array;
}

function checkMatrix(matrix: DenseMatrix, fn: string): void {
  if (matrix.values.length !== matrix.rows * matrix.cols) {
    throw new RangeError(
      `${fn}: ${matrix.rows}×${matrix.cols} matrix needs ${matrix.rows * matrix.cols} values, got ${matrix.values.length}`,
    );
  }
}

/** rel_r = Σ_j |W[r, j]| (sum) or max_j |W[r, j]| (max): how much input r feeds the layer. */
export function rowRelevance(matrix: DenseMatrix, reduce: RelevanceReduce): Float32Array {
  checkMatrix(matrix, 'rowRelevance');
  const { rows, cols, values } = matrix;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let j = 0; j < cols; j++) {
      const v = Math.abs(values[r * cols + j] as number);
      acc = reduce === 'sum' ? acc + v : Math.max(acc, v);
    }
    out[r] = acc;
  }
  return out;
}

/** rel_j = Σ_r |W[r, j]| (sum) or max_r |W[r, j]| (max): how much unit j changed. */
export function columnRelevance(matrix: DenseMatrix, reduce: RelevanceReduce): Float32Array {
  checkMatrix(matrix, 'columnRelevance');
  const { rows, cols, values } = matrix;
  const out = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const v = Math.abs(values[r * cols + j] as number);
      out[j] = reduce === 'sum' ? (out[j] as number) + v : Math.max(out[j] as number, v);
    }
  }
  return out;
}

/** Column j (unit j's incoming weights), one value per row. */
export function columnOf(matrix: DenseMatrix, unit: number): Float32Array {
  checkMatrix(matrix, 'columnOf');
  if (!(Number.isInteger(unit) && unit >= 0 && unit < matrix.cols)) {
    throw new RangeError(`columnOf: unit ${unit} is outside [0, ${matrix.cols})`);
  }
  const out = new Float32Array(matrix.rows);
  for (let r = 0; r < matrix.rows; r++) out[r] = matrix.values[r * matrix.cols + unit] as number;
  return out;
}

/** Row of the dense kernel that reads `channel` (its index) at cell (x, y): c·H·W + y·W + x. */
export function rowOfCell(layout: ObservationLayout, channel: number, x: number, y: number): number {
  return channel * layout.height * layout.width + y * layout.width + x;
}

/** Splits one value per input row into one H × W plane per channel (length must be C·H·W). */
export function foldRows(perRow: Float32Array, layout: ObservationLayout): ObservationPlane[] {
  const cells = layout.height * layout.width;
  if (perRow.length !== layout.channels.length * cells) {
    throw new RangeError(
      `foldRows: ${perRow.length} rows do not fold into ${layout.channels.length} channels of ${layout.width}×${layout.height} cells`,
    );
  }
  return layout.channels.map((channel, c) => ({
    channel,
    values: perRow.slice(c * cells, (c + 1) * cells),
  }));
}

/**
 * "input channel coin, cell (3, 4)": what a hover over an observation cell reads. In an egocentric
 * view the offset from the agent follows ("2 right, 1 up of the agent").
 */
export function observationCellLabel(
  layout: ObservationLayout,
  channel: string,
  x: number,
  y: number,
): string {
  const base = `input channel ${channel}, cell (${x}, ${y})`;
  if (layout.agentCell === null) return base;
  const dx = x - layout.agentCell.x;
  const dy = y - layout.agentCell.y;
  if (dx === 0 && dy === 0) return `${base}, the agent's cell`;
  const parts: string[] = [];
  if (dx !== 0) parts.push(`${Math.abs(dx)} ${dx > 0 ? 'right' : 'left'}`);
  if (dy !== 0) parts.push(`${Math.abs(dy)} ${dy > 0 ? 'down' : 'up'}`);
  return `${base}, ${parts.join(', ')} of the agent`;
}

export type UnitOrder = 'index' | 'relevance';

/** Unit indices ordered by index, or by relevance (largest first, ties by index). */
export function orderUnits(relevance: Float32Array, order: UnitOrder): number[] {
  const units = Array.from(relevance, (_, j) => j);
  if (order === 'relevance')
    units.sort((i, j) => (relevance[j] as number) - (relevance[i] as number) || i - j);
  return units;
}

/** Largest value of all planes (the shared colour limit, so channels compare); 1 when all are 0. */
export function planesLimit(planes: readonly ObservationPlane[]): number {
  let limit = 0;
  for (const plane of planes) for (const v of plane.values) limit = Math.max(limit, Math.abs(v));
  return limit > 0 ? limit : 1;
}

/**
 * A next-layer unit's incoming weights w (one per first-layer unit) carried back to the observation
 * through the first layer, linearly: c_r = Σ_k W1[r, k]·w[k]. The activation between the layers is
 * ignored, so this is the unit's first-order (linearised) weight on each observation input.
 */
export function composeThroughFirstLayer(first: DenseMatrix, column: Float32Array): Float32Array {
  checkMatrix(first, 'composeThroughFirstLayer');
  if (column.length !== first.cols) {
    throw new RangeError(
      `composeThroughFirstLayer: the first layer has ${first.cols} units, the next layer's unit reads ${column.length}`,
    );
  }
  const out = new Float32Array(first.rows);
  for (let r = 0; r < first.rows; r++) {
    let acc = 0;
    for (let k = 0; k < first.cols; k++)
      acc += (first.values[r * first.cols + k] as number) * (column[k] as number);
    out[r] = acc;
  }
  return out;
}
