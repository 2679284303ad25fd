import { computed, onBeforeUnmount, shallowRef, type Ref } from 'vue';
import type { CheckpointRef } from '@shared/contract-weights';
import { formatIndex, tensorIndexOfCell, type HeatmapRenderer } from '../../heatmap';
import { cellLabel, type ObservationFold } from '../../heatmap/tensor-axes';
import { useDiffStore, type CellReply } from '../../stores/diff';
import { errorMessage } from '../../stores/notices';

export interface HeatmapHover {
  x: number;
  y: number;
  row: number;
  col: number;
  /** "torso.dense1.kernel[12, 3]". */
  name: string;
  /** What the cell reads, e.g. "input channel coin, cell (3, 4) → unit 3"; '' when nothing to add. */
  meaning: string;
  /** The pooled value drawn there and the block of cells it stands for. */
  shown: { value: number; rows: number; cols: number } | null;
  cell: CellReply | null;
  cellError: string | null;
}

export interface HeatmapHoverTarget {
  a: CheckpointRef;
  b: CheckpointRef;
  name: string;
  shape: readonly number[];
  fold: ObservationFold | null;
}

/** Exact values are asked for once the pointer has rested this long on a cell. */
const REST_MS = 70;

/**
 * The cell under the pointer of a heatmap: its index and meaning at once, its exact A, B and Δ from
 * the diff store (`diff.cell`) once the pointer rests. The rest timer ends with the component.
 */
export function useHeatmapHover(
  host: Ref<HTMLElement | null>,
  renderer: () => HeatmapRenderer | null,
  target: () => HeatmapHoverTarget,
) {
  const diff = useDiffStore();
  const hover = shallowRef<HeatmapHover | null>(null);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let version = 0;

  function clearTimer(): void {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  }

  /** Forgets the hover (and any answer still on its way): the tensor or the view changed. */
  function reset(): void {
    version += 1;
    clearTimer();
    hover.value = null;
  }

  function update(point: { x: number; y: number } | null): void {
    const current = renderer();
    const cell = point === null || current === null ? null : current.cellAt(point.x, point.y);
    if (point === null || current === null || cell === null) {
      clearTimer();
      hover.value = null;
      return;
    }
    const { name, shape, fold } = target();
    const previous = hover.value;
    const same = previous !== null && previous.row === cell.row && previous.col === cell.col;
    hover.value = {
      x: point.x,
      y: point.y,
      row: cell.row,
      col: cell.col,
      name: `${name}${formatIndex(tensorIndexOfCell(shape, cell.row, cell.col))}`,
      meaning: same ? previous.meaning : cellLabel(shape, cell.row, cell.col, fold),
      shown: current.shownValue(cell.row, cell.col),
      cell: same ? previous.cell : null,
      cellError: same ? previous.cellError : null,
    };
    if (same) return;
    clearTimer();
    timer = setTimeout(() => void fetchCell(cell.row, cell.col), REST_MS);
  }

  async function fetchCell(row: number, col: number): Promise<void> {
    timer = null;
    const asked = version;
    const { a, b, name } = target();
    const stillHere = (): HeatmapHover | null => {
      const current = hover.value;
      return asked === version && current !== null && current.row === row && current.col === col
        ? current
        : null;
    };
    try {
      const reply = await diff.cellValues({ a, b, tensor: name, row, col });
      const current = stillHere();
      if (current !== null) hover.value = { ...current, cell: reply };
    } catch (error) {
      const current = stillHere();
      if (current !== null) hover.value = { ...current, cellError: errorMessage(error) };
    }
  }

  /** Beside the pointer, flipped to stay inside the heatmap. */
  const tooltipStyle = computed(() => {
    const h = hover.value;
    const element = host.value;
    if (h === null || element === null) return {};
    const left = h.x + 260 > element.clientWidth ? h.x - 256 : h.x + 14;
    const top = h.y + 130 > element.clientHeight ? h.y - 122 : h.y + 14;
    return { left: `${Math.max(2, left)}px`, top: `${Math.max(2, top)}px` };
  });

  onBeforeUnmount(reset);

  return { hover, update, reset, tooltipStyle };
}
