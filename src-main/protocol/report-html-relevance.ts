import type { ObservationLayout } from '../shared/observation-layout';
import { fitsObservation } from '../shared/observation-layout';
import { convChannelPlanes } from '../shared/heatmap/conv-fold';
import {
  foldRows,
  planesLimit,
  rowRelevance,
  type DenseMatrix,
  type ObservationPlane,
} from '../shared/heatmap/observation-fold';
import type { RelevanceTensor } from '../shared/relevance-map-content';
import { levelToFit, poolMatrix, tensorAsMatrix } from '../weights/heatmap-tiles';
import { e } from './report-html-kit';
import { heatmapGridsSvg, type SvgGrid } from './report-heatmap-svg';

/**
 * The report's relevance maps as heatmaps: the first layer folded back into the observation (one
 * grid per input channel, cell (x, y) coloured by Σ|m| of the row that reads it over the layer's
 * units — the app's observation view, from the same shared fold), then every other 2-D tensor pooled
 * to at most 64 × 64 cells by largest |m| (the app's overview pooling), each with rulers and a colour bar.
 */

/** One stored relevance map with its tensors, as the report's writer reads it. */
export interface ReportRelevanceMap {
  seed: number;
  /** "mean", "null drift", "variance ratio", … */
  label: string;
  artifactId: number;
  tensors: readonly RelevanceTensor[];
  /** The observation its first layer reads (null when the run's config does not say). */
  layout: ObservationLayout | null;
}

const MAX_CELLS = 64;
const TENSOR_PX = 160;

function maxAbs(values: Float32Array): number {
  let limit = 0;
  for (const v of values) if (Math.abs(v) > limit) limit = Math.abs(v);
  return limit;
}

function figure(caption: string, svg: string): string {
  return `<figure class="chart heatmap"><figcaption>${e(caption)}</figcaption>${svg}</figure>`;
}

/** The first layer in observation space, or null when the map has no tensor that fits the layout. */
function observationFigure(map: ReportRelevanceMap): { tensor: string; html: string } | null {
  const layout = map.layout;
  if (layout === null) return null;
  for (const input of layout.inputs) {
    const tensor = map.tensors.find((t) => t.name === input.tensor);
    if (tensor === undefined || !fitsObservation(layout, input, tensor.shape)) continue;
    const asMatrix = tensorAsMatrix(tensor.shape, tensor.data);
    const matrix: DenseMatrix = { rows: asMatrix.rows, cols: asMatrix.cols, values: asMatrix.data };
    const conv = input.kind === 'conv-input-channels';
    const planes: ObservationPlane[] = conv
      ? convChannelPlanes(matrix, tensor.shape, layout.channels, 'sum')
      : foldRows(rowRelevance(matrix, 'sum'), layout);
    const units = conv ? (tensor.shape[3] ?? 0) : matrix.cols;
    const noun = conv ? 'output channels' : 'units';
    const [height, width] = conv
      ? [tensor.shape[0] ?? 1, tensor.shape[1] ?? 1]
      : [layout.height, layout.width];
    const cell = Math.max(6, Math.min(24, Math.floor((conv ? 72 : 144) / width)));
    const mark = conv ? null : layout.agentCell;
    const grids: SvgGrid[] = planes.map((plane) => ({
      title: `input channel ${plane.channel}`,
      rows: height,
      cols: width,
      values: plane.values,
      mark,
    }));
    const what = conv
      ? `each filter cell's Σ|m| over the ${units} ${noun}, one grid per input channel`
      : `each input cell's Σ|m| over the ${units} ${noun} it feeds, one grid per input channel` +
        (mark === null ? '' : "; the agent's cell outlined");
    const caption = `${map.label} map, seed ${map.seed}: ${tensor.name} in observation space (${layout.view} view) — ${what}`;
    const svg = heatmapGridsSvg({
      grids,
      limit: planesLimit(planes),
      cellWidth: cell,
      cellHeight: cell,
      rowTitle: conv ? 'filter y' : 'cell y',
      colTitle: conv ? 'filter x' : 'cell x',
      valueLabel: `Σ|m| over ${units} ${noun}`,
      ariaLabel: caption,
    });
    return { tensor: tensor.name, html: figure(caption, svg) };
  }
  return null;
}

/** A 2-D (or higher) tensor as one heatmap, pooled to ≤ 64 × 64 cells, on its own scale. */
function tensorFigure(map: ReportRelevanceMap, tensor: RelevanceTensor): string {
  const matrix = tensorAsMatrix(tensor.shape, tensor.data);
  const level = levelToFit(matrix, MAX_CELLS);
  const pooled = poolMatrix(matrix, level);
  const cellWidth = Math.max(2, Math.min(24, Math.round(TENSOR_PX / pooled.cols)));
  const cellHeight = Math.max(2, Math.min(24, Math.round(TENSOR_PX / pooled.rows)));
  const pooling = level === 0 ? '' : ` (cell = max |m| of ${pooled.factor}×${pooled.factor})`;
  const title = `${tensor.name} [${tensor.shape.join(' × ')}]${pooling}`;
  return (
    '<figure class="chart heatmap">' +
    heatmapGridsSvg({
      grids: [
        {
          title,
          rows: pooled.rows,
          cols: pooled.cols,
          values: pooled.data,
          rowExtent: matrix.rows,
          colExtent: matrix.cols,
        },
      ],
      limit: maxAbs(pooled.data),
      cellWidth,
      cellHeight,
      rowTitle: matrix.layout === 'conv-mosaic' ? 'input · kh' : 'input (row)',
      colTitle: matrix.layout === 'conv-mosaic' ? 'output · kw' : 'unit (column)',
      valueLabel: 'm',
      ariaLabel: `${map.label} map, seed ${map.seed}: ${title}`,
    }) +
    '</figure>'
  );
}

/** One map: its first layer in observation space, then its other 2-D tensors side by side. */
function mapSection(map: ReportRelevanceMap): string {
  const observation = observationFigure(map);
  const others = map.tensors
    .filter((t) => t.shape.length >= 2 && t.name !== observation?.tensor)
    .map((t) => tensorFigure(map, t));
  const skipped = map.tensors.filter((t) => t.shape.length < 2).map((t) => t.name);
  return (
    `<h4>${e(map.label)} <span class="muted">(relevance map #${e(map.artifactId)})</span></h4>` +
    (observation?.html ??
      '<p class="muted">No observation layout for this map (its run config does not say what the first layer reads).</p>') +
    (others.length === 0 ? '' : `<div class="charts">${others.join('')}</div>`) +
    (skipped.length === 0
      ? ''
      : `<p class="muted">1-D tensors (${e(skipped.join(', '))}) are in the concentration table above.</p>`)
  );
}

/** A seed's relevance maps, or nothing when none was read. */
export function relevanceMapsSection(maps: readonly ReportRelevanceMap[]): string {
  if (maps.length === 0) return '';
  return (
    '<h3>Relevance maps</h3><p class="muted">Each stored map m as heatmaps on the app\'s colour scale (0 is white, ' +
    '+ red, − blue; each figure saturates at its largest |value|).</p>' +
    maps.map(mapSection).join('')
  );
}
