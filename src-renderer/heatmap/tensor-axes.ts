import type { ObservationLayout } from '@shared/observation-layout';
import { layoutOf, tensorIndexOfCell } from './cell-index';
import { observationCellLabel } from '@shared/heatmap/observation-fold';

/**
 * What the rows and columns of a tensor's heatmap are: the rulers' units and named bands, and the
 * words a hover shows for a cell ("input channel coin, cell (3, 4) → unit 12" for a first-layer
 * kernel whose rows fold into the observation).
 */

export interface AxisRuler {
  /** What the ruler counts, e.g. "input", "unit", "input channel". */
  title: string;
  /** Matrix cells per ruler index (a conv mosaic's kh or kw; else 1). */
  cellsPerIndex: number;
  /** How many indices the ruler spans. */
  count: number;
  /** Named bands of `size` indices each (one per observation channel), or null. */
  bands: { size: number; labels: readonly string[] } | null;
}

export interface TensorAxes {
  rows: AxisRuler;
  cols: AxisRuler;
}

/** The first-layer fold under which a tensor is read: the layout and how the tensor reads it. */
export interface ObservationFold {
  layout: ObservationLayout;
  kind: 'dense-rows' | 'conv-input-channels';
}

const plain = (title: string, count: number): AxisRuler => ({ title, cellsPerIndex: 1, count, bands: null });

/** The rulers of a tensor of `shape` drawn as its heatmap matrix (see cell-index.ts). */
export function tensorAxes(shape: readonly number[], fold: ObservationFold | null): TensorAxes {
  const { rows, cols, layout } = layoutOf(shape);
  if (layout === 'conv-mosaic') {
    const [kh, kw, inC, outC] = shape as [number, number, number, number];
    const channels = fold?.kind === 'conv-input-channels' ? fold.layout.channels : null;
    return {
      rows: {
        title: 'input channel',
        cellsPerIndex: kh,
        count: inC,
        bands: channels === null ? null : { size: 1, labels: channels },
      },
      cols: { title: 'output channel', cellsPerIndex: kw, count: outC, bands: null },
    };
  }
  if (layout === 'matrix' && fold?.kind === 'dense-rows') {
    const { layout: obs } = fold;
    return {
      rows: {
        title: 'input (channel, cell)',
        cellsPerIndex: 1,
        count: rows,
        bands: { size: obs.height * obs.width, labels: obs.channels },
      },
      cols: plain('unit', cols),
    };
  }
  if (layout === 'strip' || layout === 'scalar')
    return { rows: plain('row', rows), cols: plain('unit', cols) };
  if (layout === 'matrix') return { rows: plain('input', rows), cols: plain('unit', cols) };
  return { rows: plain('row (leading dims flattened)', rows), cols: plain('last dim', cols) };
}

/** The words for matrix cell (row, col) of a tensor of `shape`, read through `fold` when it applies. */
export function cellLabel(
  shape: readonly number[],
  row: number,
  col: number,
  fold: ObservationFold | null,
): string {
  const index = tensorIndexOfCell(shape, row, col);
  const { layout } = layoutOf(shape);
  if (layout === 'conv-mosaic') {
    const [y, x, i, o] = index as [number, number, number, number];
    const channel =
      fold?.kind === 'conv-input-channels'
        ? `input channel ${fold.layout.channels[i] ?? i}`
        : `input channel ${i}`;
    return `${channel}, filter cell (${x}, ${y}) → output channel ${o}`;
  }
  if (layout === 'matrix' && fold?.kind === 'dense-rows') {
    const { layout: obs } = fold;
    const cells = obs.height * obs.width;
    const c = Math.floor(row / cells);
    const cell = row % cells;
    const name = obs.channels[c] ?? String(c);
    return `${observationCellLabel(obs, name, cell % obs.width, Math.floor(cell / obs.width))} → unit ${col}`;
  }
  if (layout === 'matrix') return `input ${row} → unit ${col}`;
  if (layout === 'strip') return `unit ${col}`;
  return '';
}
