import type { RunSummary } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import { TrainingSpecSchema, type TrainingSpec } from '../shared/training-spec';
import { describeIssues } from '../shared/validate';
import type { DeltascopeDb } from '../store';
import { checkTrainingMemory } from './spec-memory';

/**
 * Training runs in the store: a run row whose `config` is its parsed TrainingSpec (every default
 * filled in, so the run stays reproducible when defaults change), created before its job starts.
 */

/**
 * Parses a new spec; throws INVALID_SPEC naming every invalid field (e.g. `spec.ppo.numEnvs`), or the
 * fields that make it too large for the memory budget (spec-memory.ts), before anything is created.
 */
export function parseTrainingSpec(raw: unknown, root = 'spec'): TrainingSpec {
  const result = TrainingSpecSchema.safeParse(raw);
  if (!result.success) {
    throw new DeltascopeError('INVALID_SPEC', `Invalid training spec: ${describeIssues(result.error, root)}`);
  }
  try {
    checkTrainingMemory(result.data, root);
  } catch (error) {
    if (error instanceof DeltascopeError) {
      throw new DeltascopeError(error.code, `Invalid training spec: ${error.message}`, error.details);
    }
    throw error;
  }
  return result.data;
}

/** The spec a training run was created with; INVALID_SPEC if the run was not made by a training job. */
export function specOfRun(run: RunSummary): TrainingSpec {
  const notTrainable = (problem: string): DeltascopeError =>
    new DeltascopeError(
      'INVALID_SPEC',
      `run ${run.id} ("${run.name}") has no training spec in its config, so it cannot be trained (${problem}).`,
      { runId: run.id },
    );
  // Every field of a spec has a default, so `{}` would parse: a stored spec is the resolved one.
  const missing = STORED_SPEC_KEYS.filter((key) => !(key in run.config));
  if (missing.length > 0) throw notTrainable(`it lacks ${missing.join(', ')}`);
  const result = TrainingSpecSchema.safeParse(asCreated(run.config));
  if (!result.success) throw notTrainable(describeIssues(result.error, 'config'));
  return result.data;
}

/**
 * A stored spec is trained as it was created: a field added to the schema later gets the value
 * that reproduces the old behaviour, not the new default. `ppo.warmupIterations` (default 5 for
 * runs from a checkpoint) did not exist before; such a run resumed today must not start warming up.
 */
function asCreated(config: Record<string, unknown>): Record<string, unknown> {
  const ppo = config.ppo;
  if (typeof ppo !== 'object' || ppo === null || 'warmupIterations' in ppo) return config;
  return { ...config, ppo: { ...ppo, warmupIterations: 0 } };
}

const STORED_SPEC_KEYS = ['version', 'env', 'rewards', 'net', 'ppo', 'totalSteps', 'seed'] as const;

/** Creates the experiment (if absent) and the run of a spec, status 'created'; returns the run. */
export function createTrainingRun(db: DeltascopeDb, spec: TrainingSpec): RunSummary {
  const reward = spec.rewards.find((r) => r.name === spec.trainReward)!;
  return db.transaction(() => {
    if (spec.init !== undefined) db.checkpoints.get(spec.init.checkpointId);
    if (spec.trainableMask !== undefined) db.artifacts.get(spec.trainableMask.artifactId);
    const experiment = db.experiments.findOrCreate(spec.experiment);
    return db.runs.create({
      experimentId: experiment.id,
      name: spec.run,
      phase: spec.phase,
      reward,
      seed: spec.seed,
      config: spec as unknown as Record<string, unknown>,
      parentCheckpointId: spec.init?.checkpointId ?? null,
      status: 'created',
    });
  });
}

/** Checks that a run can continue training: a training run that has not finished. Returns it. */
export function checkResumable(db: DeltascopeDb, runId: number): RunSummary {
  const run = db.runs.get(runId);
  specOfRun(run);
  if (run.status === 'done') {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `run ${run.id} ("${run.name}") has finished its budget; start a new run (spec.init = its last checkpoint) to train further.`,
      { runId },
    );
  }
  return run;
}
