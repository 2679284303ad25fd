// Public surface of the heatmap renderer (see README.md).
export {
  buildColorLut,
  divergingColor,
  NEUTRAL_COLOR,
  NAN_COLOR,
  rgbToHex,
  type ColorLut,
  type Rgb,
} from '@shared/charts/color-map';
export { colorizeValues } from '@shared/heatmap/colorize';
export {
  createNormalizer,
  DEFAULT_LOG_DECADES,
  scaleTicks,
  valueAt,
  type ScaleMode,
  type ValueScale,
} from '@shared/heatmap/value-scale';
export { maxAbs, percentileAbs, robustLimit } from './robust-scale';
export { formatIndex, layoutOf, tensorIndexOfCell, type MatrixLayout } from './cell-index';
export {
  cellAt,
  detailForView,
  fitView,
  levelForScale,
  thumbnailSize,
  tilesCovering,
  topLevel,
  type HeatmapView,
  type TileAddress,
  type Viewport,
} from './view-transform';
export {
  createHeatmapRenderer,
  type BlockGrid,
  type FrameInfo,
  type HeatmapRenderer,
  type HeatmapTileData,
  type TileSource,
} from './heatmap-canvas';
export { poolTile, pooledValueAt, type PooledTile } from './tile-pool';
export { rulerBands, rulerStep, rulerTicks, type RulerBand, type RulerTick } from './ruler-ticks';
export { drawRuler, type RulerStyle } from './ruler';
export { drawColorBar, DEFAULT_COLOR_BAR_STYLE, type ColorBarStyle } from './color-bar';
export { canvasToPngBlob, composeHeatmapImage } from './heatmap-export';
