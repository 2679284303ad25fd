import { decodeArtifactHead } from '../../shared/artifact-codec';
import { RELEVANCE_MAP_ARTIFACT_KIND, type CheckpointRef } from '../../shared/contract-weights';
import type { RunSummary, TensorEntry } from '../../shared/domain';
import { GridMazeConfigSchema } from '../../shared/gridmaze-config';
import { fitsObservation, observationLayout, type ObservationLayout } from '../../shared/observation-layout';
import { NetSpecSchema } from '../../shared/training-spec';
import type { DeltascopeDb } from '../../store';

/**
 * The observation a stored checkpoint's first layer reads, from its run's config (a TrainingSpec's
 * `env` and `net`; derived runs copy their input's config). Null when the run has no env config, or
 * when the first layer's shape does not fit it: an unlabelled heatmap is better than a mislabelled one.
 */
export function observationOfRun(
  run: RunSummary,
  manifest: readonly TensorEntry[],
): ObservationLayout | null {
  const env = GridMazeConfigSchema.safeParse(run.config['env']);
  if (!env.success) return null;
  const net = NetSpecSchema.safeParse(run.config['net'] ?? {});
  const kind = net.success
    ? net.data.kind
    : manifest.some((t) => t.name === 'torso.conv1.kernel')
      ? 'cnn'
      : 'mlp';
  const layout = observationLayout(env.data, { kind });
  const inputs = layout.inputs.filter((input) => {
    const entry = manifest.find((t) => t.name === input.tensor);
    return entry !== undefined && fitsObservation(layout, input, entry.shape);
  });
  return inputs.length === 0 ? null : { ...layout, inputs };
}

/**
 * A relevance map's observation: its base checkpoint's run, else (the base was deleted) the first
 * run of its experiment whose config fits.
 */
export function observationOfMap(
  db: DeltascopeDb,
  artifact: { recipe: { base: number }; experimentId: number | null },
  manifest: readonly TensorEntry[],
): ObservationLayout | null {
  try {
    const checkpoint = db.checkpoints.get(artifact.recipe.base);
    const layout = observationOfRun(db.runs.get(checkpoint.runId), manifest);
    if (layout !== null) return layout;
  } catch {
    // The base checkpoint was deleted: fall back to the experiment's runs.
  }
  if (artifact.experimentId === null) return null;
  for (const run of db.runs.listByExperiment(artifact.experimentId)) {
    const layout = observationOfRun(run, manifest);
    if (layout !== null) return layout;
  }
  return null;
}

/**
 * weights.observation: a stored checkpoint's or relevance map's observation layout (NOT_FOUND naming
 * the record if it does not exist); null for a model file or when the configs do not say.
 */
export function observationOf(db: DeltascopeDb, ref: CheckpointRef): ObservationLayout | null {
  if ('checkpointId' in ref) {
    const detail = db.checkpoints.get(ref.checkpointId);
    return observationOfRun(db.runs.get(detail.runId), detail.tensors);
  }
  if ('artifactId' in ref) {
    const artifact = db.artifacts.get(ref.artifactId);
    if (artifact.kind !== RELEVANCE_MAP_ARTIFACT_KIND) return null;
    const { recipe, manifest } = decodeArtifactHead(RELEVANCE_MAP_ARTIFACT_KIND, artifact);
    return observationOfMap(db, { recipe, experimentId: artifact.experimentId }, manifest.entries);
  }
  return null;
}
