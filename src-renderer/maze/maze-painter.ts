import type { MethodResponse, ObjectKind } from '@shared';
import type { EpisodeView } from './episode-frames';
import { MAZE_COLORS, OBJECT_COLORS } from './maze-colors';
import { cellCenter, cellRect, mazeLayout, type MazeLayout } from './maze-layout';
import { heatColor, maxCount, visitIntensity } from './visitation-grid';

type VisitationResult = MethodResponse<'episodes.visitation'>;
type Placed = { kind: ObjectKind; row: number; col: number };

/** The maze a recording plays in: side S and the row-major walls (1 = wall). */
export interface MazeGrid {
  size: number;
  walls: readonly number[];
}

function checkGrid(grid: MazeGrid): void {
  if (grid.walls.length !== grid.size * grid.size) {
    throw new RangeError(
      `maze painter: walls has ${grid.walls.length} cells, expected size² = ${grid.size * grid.size}`,
    );
  }
}

function clear(ctx: CanvasRenderingContext2D, width: number, height: number): void {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
}

function paintCells(
  ctx: CanvasRenderingContext2D,
  layout: MazeLayout,
  grid: MazeGrid,
  floorColor: (index: number) => string,
): void {
  for (let row = 0; row < grid.size; row += 1) {
    for (let col = 0; col < grid.size; col += 1) {
      const index = row * grid.size + col;
      const { x, y, size } = cellRect(layout, row, col);
      ctx.fillStyle = grid.walls[index] === 1 ? MAZE_COLORS.wall : floorColor(index);
      ctx.fillRect(x, y, size, size);
    }
  }
  ctx.strokeStyle = MAZE_COLORS.grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(
    layout.left + 0.5,
    layout.top + 0.5,
    layout.cols * layout.cell - 1,
    layout.rows * layout.cell - 1,
  );
}

function paintObject(
  ctx: CanvasRenderingContext2D,
  layout: MazeLayout,
  object: Placed,
  outline = false,
): void {
  const { x, y } = cellCenter(layout, object.row, object.col);
  const r = layout.cell * 0.32;
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  if (outline) {
    ctx.strokeStyle = OBJECT_COLORS[object.kind];
    ctx.lineWidth = Math.max(2, layout.cell * 0.08);
    ctx.stroke();
  } else {
    ctx.fillStyle = OBJECT_COLORS[object.kind];
    ctx.fill();
  }
}

function paintTrail(ctx: CanvasRenderingContext2D, layout: MazeLayout, trail: EpisodeView['trail']): void {
  if (trail.length < 2) return;
  ctx.beginPath();
  trail.forEach((cell, i) => {
    const { x, y } = cellCenter(layout, cell.row, cell.col);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.strokeStyle = MAZE_COLORS.trail;
  ctx.lineWidth = Math.max(2, layout.cell * 0.16);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.stroke();
}

function paintAgent(ctx: CanvasRenderingContext2D, layout: MazeLayout, row: number, col: number): void {
  const { x, y } = cellCenter(layout, row, col);
  ctx.beginPath();
  ctx.arc(x, y, layout.cell * 0.34, 0, Math.PI * 2);
  ctx.fillStyle = MAZE_COLORS.agent;
  ctx.fill();
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = Math.max(1.5, layout.cell * 0.06);
  ctx.stroke();
}

/** Draws one position of an episode: walls, floor, trail so far, objects still present, the agent. */
export function paintEpisode(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  grid: MazeGrid,
  view: EpisodeView,
): void {
  checkGrid(grid);
  const layout = mazeLayout(grid.size, grid.size, width, height);
  clear(ctx, width, height);
  paintCells(ctx, layout, grid, () => MAZE_COLORS.floor);
  paintTrail(ctx, layout, view.trail);
  for (const object of view.objects) paintObject(ctx, layout, object);
  paintAgent(ctx, layout, view.agent.row, view.agent.col);
}

/**
 * Draws a visitation map. Fixed-maze: the maze with each open cell tinted by its visits and the
 * objects' start cells outlined. Relative modes: the (2S−1)² offset grid tinted by visits, with the
 * anchor (offset 0, 0) outlined in the agent's or the anchor kind's colour.
 */
export function paintVisitation(
  ctx: CanvasRenderingContext2D,
  width: number,
  height: number,
  result: VisitationResult,
): void {
  const max = maxCount(result.counts, result.rows, result.cols);
  const layout = mazeLayout(result.rows, result.cols, width, height);
  clear(ctx, width, height);
  const tint = (index: number): string => {
    const count = result.counts[index] ?? 0;
    return count === 0 ? MAZE_COLORS.floor : heatColor(visitIntensity(count, max));
  };
  if (result.layout !== null) {
    paintCells(ctx, layout, { size: result.size, walls: result.layout.walls }, tint);
    for (const object of result.layout.objects) paintObject(ctx, layout, object, true);
    return;
  }
  // Offsets never reached stay white, on a faint grid, so the extent of the offset grid shows.
  for (let row = 0; row < result.rows; row += 1) {
    for (let col = 0; col < result.cols; col += 1) {
      const { x, y, size } = cellRect(layout, row, col);
      const count = result.counts[row * result.cols + col] ?? 0;
      ctx.fillStyle = count === 0 ? '#ffffff' : heatColor(visitIntensity(count, max));
      ctx.fillRect(x, y, size, size);
      ctx.strokeStyle = MAZE_COLORS.grid;
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
    }
  }
  if (result.origin !== null) {
    const { x, y, size } = cellRect(layout, result.origin.row, result.origin.col);
    const anchor = result.anchor as ObjectKind | 'start' | null;
    ctx.strokeStyle =
      anchor === null || anchor === 'start'
        ? MAZE_COLORS.agent
        : (OBJECT_COLORS[anchor] ?? MAZE_COLORS.agent);
    ctx.lineWidth = Math.max(2, layout.cell * 0.12);
    ctx.strokeRect(x + 1, y + 1, size - 2, size - 2);
  }
}
