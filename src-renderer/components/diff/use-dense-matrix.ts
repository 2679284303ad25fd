import { onMounted, ref, shallowRef, watch } from 'vue';
import type { CheckpointRef, DiffView } from '@shared/contract-weights';
import type { DenseMatrix } from '@shared/heatmap/observation-fold';
import { refKey } from '../../models/diff-refs';
import { errorMessage } from '../../stores/notices';
import { useObservationStore } from '../../stores/observation';

/** What a per-unit / per-cell view of one tensor is given (its own props add to these). */
export interface DenseMatrixProps {
  a: CheckpointRef;
  b: CheckpointRef;
  tensor: { name: string; shape: readonly number[]; matrixRows: number; matrixCols: number };
  view: DiffView;
  /** The symbol of a value: "Δ", "A", "B" or "m" (a relevance map). */
  symbol: string;
}

/**
 * A tensor read whole as a dense [rows, cols] matrix (DiffObservationView, DiffHiddenUnitsView):
 * read on mount and again when the tensor, the pair or the view changes; a read overtaken by a newer
 * one is dropped. Each read clears the picked `unit` and calls `onRead` first. `read` reads another
 * tensor of the same pair; `fail(error, read)` shows its error unless a newer read began since
 * `generation()` was `read`.
 */
export function useDenseMatrix(props: DenseMatrixProps, onRead: () => void = () => undefined) {
  const observation = useObservationStore();
  const matrix = shallowRef<DenseMatrix | null>(null);
  const status = ref<'loading' | 'ready' | 'error'>('loading');
  const loadError = ref<string | null>(null);
  const unit = ref<number | null>(null);
  let version = 0;

  function fail(error: unknown, read: number): void {
    if (read !== version) return;
    status.value = 'error';
    loadError.value = errorMessage(error);
  }

  /** Another tensor [rows, cols] of the same pair, as `view`. */
  const read = (tensor: string, view: DiffView, rows: number, cols: number): Promise<DenseMatrix> =>
    observation.denseOf({ a: props.a, b: props.b, tensor, view, rows, cols });

  async function load(): Promise<void> {
    const current = ++version;
    status.value = 'loading';
    loadError.value = null;
    unit.value = null;
    onRead();
    try {
      const { name, matrixRows, matrixCols } = props.tensor;
      const next = await read(name, props.view, matrixRows, matrixCols);
      if (current !== version) return;
      matrix.value = next;
      status.value = 'ready';
    } catch (error) {
      fail(error, current);
    }
  }

  onMounted(() => void load());
  watch(() => `${props.tensor.name}|${refKey(props.a)}|${refKey(props.b)}|${props.view}`, load);
  return { observation, matrix, status, loadError, unit, read, fail, generation: () => version };
}
