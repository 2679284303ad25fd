import { defineStore } from 'pinia';
import { markRaw, shallowRef } from 'vue';
import type { CheckpointRef } from '@shared/contract-weights';
import type { ObservationLayout } from '@shared/observation-layout';
import { useApi } from '../api/provider';
import type { DenseMatrix, RelevanceReduce } from '@shared/heatmap/observation-fold';
import { refKey } from '../models/diff-refs';
import { fetchDenseMatrix, type DenseTarget } from '../models/diff-tensor-values';

/**
 * The observation layouts of checkpoints and relevance maps (`weights.observation`, asked once per
 * ref and database) and the whole first-layer tensors the observation-space view folds; the
 * reduction (sum or max of |value| over the units) is shared by every such view.
 */
export const useObservationStore = defineStore('observation', () => {
  const layouts = new Map<string, Promise<ObservationLayout | null>>();
  const reduce = shallowRef<RelevanceReduce>('sum');

  /** The layout of `ref` (null when the main side does not know it). Rejects with the call's error. */
  function layoutOf(ref: CheckpointRef): Promise<ObservationLayout | null> {
    const key = refKey(ref);
    let known = layouts.get(key);
    if (known === undefined) {
      const api = useApi();
      known = api['weights.observation']({ ref }).then((layout) =>
        layout === null ? null : markRaw(layout),
      );
      // A failed call is not remembered: the next view asks again.
      known.catch(() => layouts.delete(key));
      layouts.set(key, known);
    }
    return known;
  }

  async function denseOf(target: DenseTarget): Promise<DenseMatrix> {
    return markRaw(await fetchDenseMatrix(useApi(), target));
  }

  function listen(): void {
    useApi().onEvent('db.changed', ({ reason }) => {
      if (reason !== 'written') layouts.clear();
    });
  }

  return { reduce, layoutOf, denseOf, listen };
});
