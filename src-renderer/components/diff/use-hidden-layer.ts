import { shallowRef, watch, type Ref } from 'vue';
import type { CheckpointRef } from '@shared/contract-weights';
import type { ObservationLayout } from '@shared/observation-layout';
import { refKey } from '../../models/diff-refs';
import { useObservationStore } from '../../stores/observation';

/** The first layer a hidden layer reads from, and the observation that layer reads. */
export interface HiddenLayerInput {
  layout: ObservationLayout;
  /** The first layer's dense kernel: its name and size [C·H·W, units]. */
  first: { name: string; rows: number; cols: number };
}

/**
 * For a dense kernel that reads the first layer's units (its rows = the first layer's columns), the
 * first layer and its observation (A's layout, else B's); null for the first layer itself, a conv
 * first layer, or a tensor that reads something else. `shapeOf` gives a tensor's shape on these sides.
 */
export function useHiddenLayer(
  sides: () => CheckpointRef[],
  tensor: () => { name: string; shape: readonly number[] },
  shapeOf: (name: string) => readonly number[] | null,
): Ref<HiddenLayerInput | null> {
  const observation = useObservationStore();
  const input = shallowRef<HiddenLayerInput | null>(null);
  let version = 0;
  watch(
    () => `${sides().map(refKey).join('|')}|${tensor().name}`,
    async () => {
      const current = ++version;
      input.value = null;
      const { name, shape } = tensor();
      if (shape.length !== 2) return;
      for (const side of sides()) {
        const layout = await observation.layoutOf(side).catch(() => null);
        if (current !== version) return;
        const first = layout?.inputs.find((i) => i.kind === 'dense-rows');
        if (layout === null || layout === undefined || first === undefined || first.tensor === name) continue;
        const firstShape = shapeOf(first.tensor);
        if (firstShape?.length === 2 && firstShape[1] === shape[0]) {
          input.value = {
            layout,
            first: { name: first.tensor, rows: firstShape[0] as number, cols: firstShape[1] as number },
          };
          return;
        }
      }
    },
    { immediate: true },
  );
  return input;
}
