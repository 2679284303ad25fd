import { shallowRef, watch, type Ref } from 'vue';
import type { CheckpointRef } from '@shared/contract-weights';
import { fitsObservation } from '@shared/observation-layout';
import type { ObservationFold } from '../../heatmap/tensor-axes';
import { refKey } from '../../models/diff-refs';
import { useObservationStore } from '../../stores/observation';

/**
 * How `tensor` reads the observation when it is a first-layer kernel (A's layout, else B's): a dense
 * kernel whose rows fold into the observation grids, or a conv kernel whose input channels are the
 * observation's planes; null otherwise (then only the plain heatmap shows). A failed lookup is
 * treated as unknown (the heatmap still works without it).
 */
export function useObservationLayout(
  sides: () => CheckpointRef[],
  tensor: () => { name: string; shape: readonly number[] },
): Ref<ObservationFold | null> {
  const observation = useObservationStore();
  const fold = shallowRef<ObservationFold | null>(null);
  let version = 0;
  watch(
    () => `${sides().map(refKey).join('|')}|${tensor().name}`,
    async () => {
      const current = ++version;
      fold.value = null;
      const { name, shape } = tensor();
      for (const side of sides()) {
        const found = await observation.layoutOf(side).catch(() => null);
        if (current !== version) return;
        const input = found?.inputs.find((i) => i.tensor === name);
        if (found && input && fitsObservation(found, input, shape)) {
          fold.value = { layout: found, kind: input.kind };
          return;
        }
      }
    },
    { immediate: true },
  );
  return fold;
}
