import { shallowRef, watch, type Ref } from 'vue';
import type { CheckpointRef } from '@shared/contract-weights';
import { fitsObservation, type ObservationLayout } from '@shared/observation-layout';
import { refKey } from '../../stores/diff-refs';
import { useObservationStore } from '../../stores/observation';

/**
 * The observation layout under which `tensor` is a first-layer kernel whose rows fold into the
 * observation (A's layout, else B's), or null: then only the plain heatmap shows. A failed lookup is
 * treated as unknown (the heatmap still works without it).
 */
export function useObservationLayout(
  sides: () => CheckpointRef[],
  tensor: () => { name: string; shape: readonly number[] },
): Ref<ObservationLayout | null> {
  const observation = useObservationStore();
  const layout = shallowRef<ObservationLayout | null>(null);
  let version = 0;
  watch(
    () => `${sides().map(refKey).join('|')}|${tensor().name}`,
    async () => {
      const current = ++version;
      layout.value = null;
      const { name, shape } = tensor();
      for (const side of sides()) {
        const found = await observation.layoutOf(side).catch(() => null);
        if (current !== version) return;
        const input = found?.inputs.find((i) => i.tensor === name && i.kind === 'dense-rows');
        if (found && input && fitsObservation(found, input, shape)) {
          layout.value = found;
          return;
        }
      }
    },
    { immediate: true },
  );
  return layout;
}
