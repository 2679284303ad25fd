import type { DenseMatrix, ObservationPlane, RelevanceReduce } from './observation-fold';

/**
 * A first-layer conv kernel [kh, kw, C, out] read per input channel. Its heatmap matrix is the
 * mosaic of cell-index.ts: cell (i·kh + y, o·kw + x) = W[y, x, i, o]. Each input channel is one
 * observation plane (wall, agent, the object kinds), so its kh × kw filters say which offsets of
 * that channel the layer reads. Pure functions over row-major Float32Arrays.
 */

export interface ConvShape {
  kh: number;
  kw: number;
  inChannels: number;
  outChannels: number;
}

/** [kh, kw, C, out] → its sizes; refuses other ranks and a mosaic of the wrong size. */
export function convShapeOf(shape: readonly number[], matrix: DenseMatrix): ConvShape {
  if (shape.length !== 4)
    throw new RangeError(`convShapeOf: a conv kernel is [kh, kw, in, out], got [${shape.join(', ')}]`);
  const [kh, kw, inChannels, outChannels] = shape as [number, number, number, number];
  if (matrix.rows !== inChannels * kh || matrix.cols !== outChannels * kw) {
    throw new RangeError(
      `convShapeOf: kernel [${shape.join(', ')}] is a ${inChannels * kh}×${outChannels * kw} mosaic, got ${matrix.rows}×${matrix.cols}`,
    );
  }
  if (matrix.values.length !== matrix.rows * matrix.cols) {
    throw new RangeError(
      `convShapeOf: ${matrix.rows}×${matrix.cols} matrix needs ${matrix.rows * matrix.cols} values, got ${matrix.values.length}`,
    );
  }
  return { kh, kw, inChannels, outChannels };
}

/** W[y, x, i, o] read from the mosaic. */
function weight(matrix: DenseMatrix, conv: ConvShape, y: number, x: number, i: number, o: number): number {
  return matrix.values[(i * conv.kh + y) * matrix.cols + o * conv.kw + x] as number;
}

/**
 * One kh × kw plane per input channel: cell (x, y) of channel i is Σ_o |W[y, x, i, o]| (sum) or
 * max_o |W[y, x, i, o]| (max) over the output channels, or, for one output channel `unit`, its
 * signed weight W[y, x, i, unit].
 */
export function convChannelPlanes(
  matrix: DenseMatrix,
  shape: readonly number[],
  channels: readonly string[],
  show: RelevanceReduce | { unit: number },
): ObservationPlane[] {
  const conv = convShapeOf(shape, matrix);
  if (channels.length !== conv.inChannels) {
    throw new RangeError(
      `convChannelPlanes: ${channels.length} channel names for ${conv.inChannels} input channels`,
    );
  }
  if (
    typeof show === 'object' &&
    !(Number.isInteger(show.unit) && show.unit >= 0 && show.unit < conv.outChannels)
  )
    throw new RangeError(
      `convChannelPlanes: output channel ${show.unit} is outside [0, ${conv.outChannels})`,
    );
  return channels.map((channel, i) => {
    const values = new Float32Array(conv.kh * conv.kw);
    for (let y = 0; y < conv.kh; y++) {
      for (let x = 0; x < conv.kw; x++) {
        if (typeof show === 'object') {
          values[y * conv.kw + x] = weight(matrix, conv, y, x, i, show.unit);
          continue;
        }
        let acc = 0;
        for (let o = 0; o < conv.outChannels; o++) {
          const v = Math.abs(weight(matrix, conv, y, x, i, o));
          acc = show === 'sum' ? acc + v : Math.max(acc, v);
        }
        values[y * conv.kw + x] = acc;
      }
    }
    return { channel, values };
  });
}

/** Per output channel o: Σ or max of |W[y, x, i, o]| over its whole filter (every offset and input channel). */
export function convUnitRelevance(
  matrix: DenseMatrix,
  shape: readonly number[],
  reduce: RelevanceReduce,
): Float32Array {
  const conv = convShapeOf(shape, matrix);
  const out = new Float32Array(conv.outChannels);
  for (let o = 0; o < conv.outChannels; o++) {
    let acc = 0;
    for (let i = 0; i < conv.inChannels; i++)
      for (let y = 0; y < conv.kh; y++)
        for (let x = 0; x < conv.kw; x++) {
          const v = Math.abs(weight(matrix, conv, y, x, i, o));
          acc = reduce === 'sum' ? acc + v : Math.max(acc, v);
        }
    out[o] = acc;
  }
  return out;
}

/** "input channel coin, filter cell (2, 0)" (x across, y down): what a hover over a filter cell reads. */
export function convCellLabel(channel: string, x: number, y: number): string {
  return `input channel ${channel}, filter cell (${x}, ${y})`;
}
