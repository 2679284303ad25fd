/// <reference types="vite/client" />
import type { TrainingSpecInput } from '@shared';

/** A training spec shipped in resources/training, embedded at build time (the renderer reads no files). */
export interface TrainingPreset {
  /** File name without `.json`, e.g. `tiny-5x5`. */
  name: string;
  spec: TrainingSpecInput;
}

const files = import.meta.glob<TrainingSpecInput>('../../../resources/training/*.json', {
  eager: true,
  import: 'default',
});

/** The presets, smallest budget first (the quick smoke test before the long runs). */
export const TRAINING_PRESETS: readonly TrainingPreset[] = Object.entries(files)
  .map(([path, spec]) => ({
    name:
      path
        .split('/')
        .pop()
        ?.replace(/\.json$/, '') ?? path,
    spec,
  }))
  .sort(
    (a, b) =>
      (a.spec.totalSteps ?? Infinity) - (b.spec.totalSteps ?? Infinity) || a.name.localeCompare(b.name),
  );
