export { BUSY_TIMEOUT_MS, DELTASCOPE_APPLICATION_ID, LATEST_SCHEMA_VERSION } from './constants';
export { DeltascopeDb } from './database';
export { createDatabase, openDatabase, openOrCreateDatabase, type OpenOptions } from './open';
export type { Artifact, ArtifactsRepo, ArtifactSummary, PutArtifactInput } from './artifacts-repo';
export type { CheckpointsRepo, PutCheckpointInput } from './checkpoints-repo';
export type { TensorInput } from './checkpoint-blob';
export type { CreateExperimentInput, ExperimentsRepo } from './experiments-repo';
export type { MetricRow, MetricsRepo, StepRange } from './metrics-repo';
export type { CreateRunInput, RunsRepo } from './runs-repo';
