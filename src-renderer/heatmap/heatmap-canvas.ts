import { buildColorLut, type ColorLut } from '@shared/charts/color-map';
import { colorizeValues } from '@shared/heatmap/colorize';
import { createLruCache } from './tile-cache';
import { poolTile, pooledValueAt, type PooledTile } from './tile-pool';
import type { HeatmapTileData, TileSource } from './tile-types';
import type { ValueScale } from '@shared/heatmap/value-scale';
import {
  cellAt,
  clampView,
  detailAt,
  detailForView,
  fitView,
  MAX_CELL_PX,
  panBy,
  tileScreenRect,
  tilesCovering,
  topLevel,
  visibleCells,
  zoomAt,
  zoomLimits,
  type CellRange,
  type HeatmapView,
  type TileAddress,
  type ViewDetail,
  type Viewport,
} from './view-transform';

export type { HeatmapTileData, TileSource } from './tile-types';

export interface FrameInfo {
  pendingTiles: number;
  /** Matrix cells per drawn cell, down (rows) and across (cols); null with nothing drawn. */
  pooling: { rows: number; cols: number } | null;
  /** The view drawn (null with nothing drawn): the rulers follow it. */
  view: HeatmapView | null;
  /** The viewport in CSS pixels. */
  viewport: Viewport;
}

type Surface = HTMLCanvasElement | OffscreenCanvas;

interface ColoredTile {
  tile: PooledTile;
  surface: Surface;
}

export interface HeatmapRendererOptions {
  /** Fill behind the matrix. */
  background?: string;
  /** Outline around the matrix, so neutral (≈ 0) cells stand apart from the background. */
  outline?: string;
  /** Pooled cells kept coloured (≈ 4 bytes each) and raw (4 bytes each). */
  cacheCells?: number;
  /** Tile requests in flight at once (default 24); the rest are asked for as those arrive. */
  maxPendingTiles?: number;
  /** Space kept around the matrix when it is fitted to the canvas, in CSS pixels (default 8). */
  fitPadding?: number;
  /** A tile request failed; the renderer keeps the cells blank and does not retry that tile. */
  onError?: (error: unknown, address: TileAddress) => void;
  /** After every frame: how many visible tiles are still loading, and the level of detail drawn. */
  onFrame?: (frame: FrameInfo) => void;
}

/** Cells per block of a tiled layout (a conv kernel's kh×kw filters), outlined when zoomed in. */
export interface BlockGrid {
  rows: number;
  cols: number;
}

/** Blocks are outlined once each spans at least this many CSS pixels. */
const BLOCK_GRID_MIN_PX = 6;

export interface HeatmapRenderer {
  setSource(source: TileSource | null): void;
  setBlockGrid(grid: BlockGrid | null): void;
  setScale(scale: ValueScale): void;
  /** Canvas size in CSS pixels and the device pixel ratio. */
  resize(width: number, height: number, pixelRatio: number): void;
  readonly view: HeatmapView | null;
  setView(view: HeatmapView): void;
  fit(): void;
  /** Zoom by `factor` about a point (CSS px, default: the viewport centre). */
  zoomBy(factor: number, px?: number, py?: number): void;
  panBy(dx: number, dy: number): void;
  /** The matrix cell under a CSS-pixel point, or null. */
  cellAt(px: number, py: number): { row: number; col: number } | null;
  /** The pooled value drawn at matrix cell (row, col) and how many cells its block spans, if loaded. */
  shownValue(row: number, col: number): { value: number; rows: number; cols: number } | null;
  /** Draws now what is cached (and requests what is missing). */
  renderNow(): void;
  /** Resolves once every visible tile of the current view is loaded and drawn. */
  whenIdle(): Promise<void>;
  destroy(): void;
}

/** Enough for every tile a 2560×1440 device-pixel canvas can show at once (≈ 25 MB raw + 25 MB coloured). */
const DEFAULT_CACHE_CELLS = 96 * 256 * 256;
const DEFAULT_MAX_PENDING = 24;
const DEFAULT_FIT_PADDING = 8;

function createSurface(width: number, height: number): Surface {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

/** Colours a tile into a surface of one pixel per pooled cell. */
function colorTile(tile: PooledTile, lut: ColorLut, scale: ValueScale): Surface {
  const surface = createSurface(tile.cols, tile.rows);
  const context = surface.getContext('2d');
  if (context === null) throw new Error('colorTile: no 2d context for a tile surface');
  const image = context.createImageData(tile.cols, tile.rows);
  colorizeValues(tile.values, new Uint32Array(image.data.buffer), lut, scale);
  context.putImageData(image, 0, 0);
  return surface;
}

function tileKey(address: TileAddress): string {
  return `${address.level}/${address.tileRow}/${address.tileCol}`;
}

function pooledKey(address: TileAddress, detail: Pick<ViewDetail, 'rowPool' | 'colPool'>): string {
  return `${tileKey(address)}:${detail.rowPool}x${detail.colPool}`;
}

/** A heatmap drawn as bitmaps on `canvas`: tiles coloured once, frames redraw cached bitmaps. */
export function createHeatmapRenderer(
  canvas: HTMLCanvasElement,
  options: HeatmapRendererOptions = {},
): HeatmapRenderer {
  const context = canvas.getContext('2d', { alpha: false });
  if (context === null) throw new Error('createHeatmapRenderer: the canvas has no 2d context');
  const ctx = context;
  const lut = buildColorLut();
  const budget = options.cacheCells ?? DEFAULT_CACHE_CELLS;
  const maxPending = options.maxPendingTiles ?? DEFAULT_MAX_PENDING;
  const fit = (size: { rows: number; cols: number }): HeatmapView =>
    fitView(size, viewport, MAX_CELL_PX, options.fitPadding ?? DEFAULT_FIT_PADDING);
  const raw = createLruCache<HeatmapTileData>(budget);
  const colored = createLruCache<ColoredTile>(budget);
  const pending = new Set<string>();
  const failed = new Set<string>();
  let source: TileSource | null = null;
  let sourceVersion = 0;
  let scale: ValueScale = { limit: 1, mode: 'linear', decades: 3 };
  let viewport: Viewport = { width: canvas.width || 1, height: canvas.height || 1 };
  let pixelRatio = 1;
  let view: HeatmapView | null = null;
  let frame: number | null = null;
  let lastMissing = 0;
  let lastPooling: FrameInfo['pooling'] = null;
  let idleWaiters: (() => void)[] = [];
  let blockGrid: BlockGrid | null = null;

  const matrix = (): { rows: number; cols: number } | null =>
    source === null ? null : { rows: source.rows, cols: source.cols };

  function requestRender(): void {
    if (frame !== null) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      renderNow();
    });
  }

  function request(address: TileAddress): void {
    const key = tileKey(address);
    if (source === null || pending.has(key) || failed.has(key) || pending.size >= maxPending) return;
    const version = sourceVersion;
    pending.add(key);
    source.fetchTile(address).then(
      (tile) => {
        if (version !== sourceVersion) return;
        pending.delete(key);
        raw.set(key, tile, tile.values.length);
        requestRender();
      },
      (error: unknown) => {
        if (version !== sourceVersion) return;
        pending.delete(key);
        failed.add(key);
        options.onError?.(error, address);
        requestRender();
      },
    );
  }

  /** The coloured tile pooled for `detail` if its values are loaded (colouring it now if needed), else null. */
  function coloredTile(address: TileAddress, detail: ViewDetail): ColoredTile | null {
    const key = pooledKey(address, detail);
    const hit = colored.get(key);
    if (hit !== undefined) return hit;
    const loaded = raw.get(tileKey(address));
    if (loaded === undefined) return null;
    const tile = poolTile(loaded, detail.rowPool, detail.colPool);
    const entry = { tile, surface: colorTile(tile, lut, scale) };
    colored.set(key, entry, tile.values.length);
    return entry;
  }

  function draw(entry: ColoredTile, current: HeatmapView): void {
    const rect = tileScreenRect(entry.tile, current);
    ctx.drawImage(entry.surface, rect.x, rect.y, rect.width, rect.height);
  }

  /** Thin grey lines between the blocks of a tiled layout, over the visible cells only. */
  function drawBlockGrid(grid: BlockGrid, range: CellRange, current: HeatmapView): void {
    if (grid.rows * current.sy < BLOCK_GRID_MIN_PX || grid.cols * current.sx < BLOCK_GRID_MIN_PX) return;
    ctx.beginPath();
    const top = current.y + range.row0 * current.sy;
    const bottom = current.y + range.row1 * current.sy;
    const left = current.x + range.col0 * current.sx;
    const right = current.x + range.col1 * current.sx;
    for (let col = Math.ceil(range.col0 / grid.cols) * grid.cols; col <= range.col1; col += grid.cols) {
      const x = current.x + col * current.sx;
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
    }
    for (let row = Math.ceil(range.row0 / grid.rows) * grid.rows; row <= range.row1; row += grid.rows) {
      const y = current.y + row * current.sy;
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
    }
    ctx.strokeStyle = 'rgba(40, 48, 60, 0.35)';
    ctx.lineWidth = Math.max(1 / pixelRatio, Math.min(2, Math.min(current.sx, current.sy) / 8));
    ctx.stroke();
  }

  function renderNow(): void {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = options.background ?? '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const size = matrix();
    if (source === null || size === null || view === null) {
      lastMissing = 0;
      lastPooling = null;
      finishFrame();
      return;
    }
    ctx.setTransform(pixelRatio, 0, 0, pixelRatio, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const current = view;
    const range = visibleCells(current, viewport, size);
    let missing = 0;
    lastPooling = null;
    if (range !== null) {
      const top = topLevel(size, source.tileSize);
      const detail = detailForView(current, pixelRatio, top);
      const level = detail.level;
      lastPooling = { rows: 2 ** level * detail.rowPool, cols: 2 ** level * detail.colPool };
      const wanted = tilesCovering(range, level, source.tileSize);
      const ready = wanted.map((address) => coloredTile(address, detail));
      missing = ready.filter(
        (entry, i) => entry === null && !failed.has(tileKey(wanted[i] as TileAddress)),
      ).length;
      ctx.save();
      ctx.beginPath();
      ctx.rect(current.x, current.y, size.cols * current.sx, size.rows * current.sy);
      ctx.clip();
      if (missing > 0) {
        // Stand-ins while the wanted tiles load: the coarser levels already cached, coarsest first.
        for (let coarser = top; coarser > level; coarser -= 1) {
          // Stand-ins are pooled like the wanted tiles, but only drawn if already coloured.
          const standIn = detailAt(current, pixelRatio, top, coarser);
          for (const address of tilesCovering(range, coarser, source.tileSize)) {
            const entry = colored.get(pooledKey(address, standIn)) ?? null;
            if (entry !== null) draw(entry, current);
          }
        }
      }
      ready.forEach((entry, i) => {
        if (entry !== null) draw(entry, current);
        else request(wanted[i] as TileAddress);
      });
      if (blockGrid !== null) drawBlockGrid(blockGrid, range, current);
      ctx.restore();
      ctx.strokeStyle = options.outline ?? '#9aa1a9';
      ctx.lineWidth = 1 / pixelRatio;
      ctx.strokeRect(
        current.x - 0.5 / pixelRatio,
        current.y - 0.5 / pixelRatio,
        size.cols * current.sx + 1 / pixelRatio,
        size.rows * current.sy + 1 / pixelRatio,
      );
    }
    lastMissing = missing;
    finishFrame();
  }

  function finishFrame(): void {
    options.onFrame?.({ pendingTiles: lastMissing, pooling: lastPooling, view, viewport });
    if (lastMissing > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function setView(next: HeatmapView): void {
    const size = matrix();
    view = size === null ? next : clampView(next, size, viewport);
    requestRender();
  }

  return {
    setSource(next) {
      sourceVersion += 1;
      source = next;
      raw.clear();
      colored.clear();
      pending.clear();
      failed.clear();
      view = next === null ? null : fit(next);
      requestRender();
    },
    setBlockGrid(grid) {
      blockGrid = grid === null || (grid.rows <= 1 && grid.cols <= 1) ? null : { ...grid };
      requestRender();
    },
    setScale(next) {
      scale = { ...next };
      colored.clear();
      requestRender();
    },
    resize(width, height, ratio) {
      const w = Math.max(1, width);
      const h = Math.max(1, height);
      const changed = w !== viewport.width || h !== viewport.height;
      viewport = { width: w, height: h };
      pixelRatio = ratio > 0 ? ratio : 1;
      canvas.width = Math.round(w * pixelRatio);
      canvas.height = Math.round(h * pixelRatio);
      const size = matrix();
      if (size !== null && (view === null || changed)) view = fit(size);
      requestRender();
    },
    get view() {
      return view;
    },
    setView,
    fit() {
      const size = matrix();
      if (size !== null) setView(fit(size));
    },
    zoomBy(factor, px = viewport.width / 2, py = viewport.height / 2) {
      const size = matrix();
      if (size === null || view === null) return;
      setView(zoomAt(view, factor, px, py, zoomLimits(size, viewport)));
    },
    panBy(dx, dy) {
      if (view !== null) setView(panBy(view, dx, dy));
    },
    cellAt(px, py) {
      const size = matrix();
      return size === null || view === null ? null : cellAt(view, px, py, size);
    },
    shownValue(row, col) {
      if (source === null || view === null) return null;
      const top = topLevel(source, source.tileSize);
      const wanted = detailForView(view, pixelRatio, top);
      // The wanted tile, else the coarser stand-in drawn while it loads.
      for (let level = wanted.level; level <= top; level += 1) {
        const detail = detailAt(view, pixelRatio, top, level);
        const span = source.tileSize * 2 ** level;
        const address = { level, tileRow: Math.floor(row / span), tileCol: Math.floor(col / span) };
        const entry = colored.get(pooledKey(address, detail));
        const value = entry === undefined ? undefined : pooledValueAt(entry.tile, row, col);
        if (entry !== undefined && value !== undefined)
          return { value, rows: entry.tile.rowFactor, cols: entry.tile.colFactor };
      }
      return null;
    },
    renderNow,
    whenIdle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        requestRender();
      });
    },
    destroy() {
      sourceVersion += 1;
      if (frame !== null) cancelAnimationFrame(frame);
      frame = null;
      source = null;
      raw.clear();
      colored.clear();
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    },
  };
}
