/** Where a rows × cols grid sits on a canvas: square cells, centred, with a margin. */
export interface MazeLayout {
  rows: number;
  cols: number;
  cell: number;
  left: number;
  top: number;
}

/** cell = ⌊min((W − 2m)/cols, (H − 2m)/rows)⌋; the grid is centred in the W × H canvas. */
export function mazeLayout(
  rows: number,
  cols: number,
  width: number,
  height: number,
  margin = 8,
): MazeLayout {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0)) {
    throw new RangeError(`mazeLayout: rows and cols must be positive integers, got ${rows} × ${cols}`);
  }
  if (!(width > 0 && height > 0)) {
    throw new RangeError(`mazeLayout: the canvas must have a positive size, got ${width} × ${height}`);
  }
  const cell = Math.max(1, Math.floor(Math.min((width - 2 * margin) / cols, (height - 2 * margin) / rows)));
  return {
    rows,
    cols,
    cell,
    left: Math.floor((width - cell * cols) / 2),
    top: Math.floor((height - cell * rows) / 2),
  };
}

/** The canvas rectangle of cell (row, col). */
export function cellRect(
  layout: MazeLayout,
  row: number,
  col: number,
): { x: number; y: number; size: number } {
  return { x: layout.left + col * layout.cell, y: layout.top + row * layout.cell, size: layout.cell };
}

/** The centre of cell (row, col). */
export function cellCenter(layout: MazeLayout, row: number, col: number): { x: number; y: number } {
  return { x: layout.left + (col + 0.5) * layout.cell, y: layout.top + (row + 0.5) * layout.cell };
}
