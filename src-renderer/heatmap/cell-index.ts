/**
 * Which tensor element a heatmap cell shows. The main side lays tensors out as 2-D matrices
 * (see src-main/weights/heatmap-tiles.ts): a bias [n] as a 1×n strip, a dense kernel [in, out] as
 * in×out, a conv kernel [kh, kw, in, out] as a mosaic where cell (i·kh + y, o·kw + x) = W[y, x, i, o],
 * other ranks as (∏ leading dims)×last.
 */

export type MatrixLayout = 'scalar' | 'strip' | 'matrix' | 'conv-mosaic' | 'flattened';

/** rows×cols of the matrix a tensor of `shape` is drawn as. */
export function layoutOf(shape: readonly number[]): { rows: number; cols: number; layout: MatrixLayout } {
  if (shape.length === 0) return { rows: 1, cols: 1, layout: 'scalar' };
  if (shape.length === 1) return { rows: 1, cols: shape[0] as number, layout: 'strip' };
  if (shape.length === 2) return { rows: shape[0] as number, cols: shape[1] as number, layout: 'matrix' };
  if (shape.length === 4) {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    return { rows: inC * kh, cols: outC * kw, layout: 'conv-mosaic' };
  }
  const cols = shape[shape.length - 1] as number;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return { rows, cols, layout: 'flattened' };
}

/** The tensor index [d₀, d₁, …] of matrix cell (row, col) for a tensor of `shape`. */
export function tensorIndexOfCell(shape: readonly number[], row: number, col: number): number[] {
  const { rows, cols, layout } = layoutOf(shape);
  if (!(Number.isInteger(row) && Number.isInteger(col) && row >= 0 && col >= 0 && row < rows && col < cols)) {
    throw new RangeError(
      `tensorIndexOfCell: cell (${row}, ${col}) is outside the ${rows}×${cols} matrix of shape [${shape.join(', ')}]`,
    );
  }
  switch (layout) {
    case 'scalar':
      return [];
    case 'strip':
      return [col];
    case 'matrix':
      return [row, col];
    case 'conv-mosaic': {
      const [kh, kw] = shape as [number, number, number, number];
      return [row % kh, col % kw, Math.floor(row / kh), Math.floor(col / kw)];
    }
    case 'flattened': {
      const leading = shape.slice(0, -1);
      const index = new Array<number>(leading.length);
      let rest = row;
      for (let d = leading.length - 1; d >= 0; d -= 1) {
        const size = leading[d] as number;
        index[d] = rest % size;
        rest = Math.floor(rest / size);
      }
      return [...index, col];
    }
  }
}

/** "[3, 17]" for display; "[]" for a scalar. */
export function formatIndex(index: readonly number[]): string {
  return `[${index.join(', ')}]`;
}
