/**
 * The lineage graph's viewport: a scale and an offset that map graph pixels to viewport pixels
 * (screen = offset + scale · graph), fitting, zooming about a point, panning and the minimap's
 * window. Pure; the component applies it as a CSS transform.
 */

export interface Size {
  width: number;
  height: number;
}

export interface ViewTransform {
  scale: number;
  x: number;
  y: number;
}

/** Smallest and largest zoom: a 13 000 px graph still fits a laptop screen; 2× for reading labels. */
export const MIN_SCALE = 0.02;
export const MAX_SCALE = 2;
/** Margin kept around a fitted graph, in viewport pixels. */
export const FIT_MARGIN = 12;

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

function checkSize(size: Size, what: string): void {
  if (!(size.width > 0 && size.height > 0)) {
    throw new RangeError(`${what} must have a positive size, got ${size.width} × ${size.height}`);
  }
}

/** The whole graph centred in the viewport, never enlarged beyond 1:1. */
export function fitView(content: Size, viewport: Size): ViewTransform {
  checkSize(content, 'fitView: the graph');
  checkSize(viewport, 'fitView: the viewport');
  const room = { width: viewport.width - 2 * FIT_MARGIN, height: viewport.height - 2 * FIT_MARGIN };
  const scale = clampScale(Math.min(1, room.width / content.width, room.height / content.height));
  return {
    scale,
    x: (viewport.width - content.width * scale) / 2,
    y: (viewport.height - content.height * scale) / 2,
  };
}

/** The start view: 1:1 at the top left, or fitted when that shows the graph at half size or more. */
export function initialView(content: Size, viewport: Size): ViewTransform {
  const fitted = fitView(content, viewport);
  return fitted.scale >= 0.5 ? fitted : { scale: 1, x: 0, y: 0 };
}

/** Zoom by `factor` keeping the graph point under `at` (viewport pixels) where it is. */
export function zoomAt(view: ViewTransform, factor: number, at: { x: number; y: number }): ViewTransform {
  if (!(factor > 0)) throw new RangeError(`zoomAt: factor must be positive, got ${factor}`);
  const scale = clampScale(view.scale * factor);
  const ratio = scale / view.scale;
  return { scale, x: at.x - (at.x - view.x) * ratio, y: at.y - (at.y - view.y) * ratio };
}

/** Moved by (dx, dy) viewport pixels. */
export function panBy(view: ViewTransform, dx: number, dy: number): ViewTransform {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** The graph rectangle the viewport shows, in graph pixels (the minimap's window). */
export function visibleRect(view: ViewTransform, viewport: Size): { x: number; y: number } & Size {
  return {
    x: -view.x / view.scale,
    y: -view.y / view.scale,
    width: viewport.width / view.scale,
    height: viewport.height / view.scale,
  };
}

/** The view at the same scale with graph point `point` in the middle of the viewport. */
export function centerOn(
  view: ViewTransform,
  point: { x: number; y: number },
  viewport: Size,
): ViewTransform {
  return {
    scale: view.scale,
    x: viewport.width / 2 - point.x * view.scale,
    y: viewport.height / 2 - point.y * view.scale,
  };
}

/** Scale of the minimap: the whole graph inside a box of at most `box`. */
export function minimapScale(content: Size, box: Size): number {
  checkSize(content, 'minimapScale: the graph');
  return Math.min(box.width / content.width, box.height / content.height);
}
