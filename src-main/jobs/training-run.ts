import { initBackend } from '../engine/backend';
import type { PpoIteration, PpoTrainer } from '../engine/ppo';
import type { CheckpointSummary } from '../shared/domain';
import { METRIC_KEYS } from '../shared/metric-keys';
import type { TrainingSpec } from '../shared/training-spec';
import type { DeltascopeDb, MetricRow } from '../store';
import { checkDue, recoveryCheck } from './recovery-check';
import { decodeResume, encodeResume } from './resume-state';
import { createTrainingSession } from './trainer-setup';
import { specOfRun } from './training-runs';
import type { WorkerMessage } from './worker-messages';

/**
 * The training loop of one run, as the worker process runs it: open the run, continue from its
 * latest checkpoint (or write an `init` checkpoint at step 0), then iterate; every iteration's
 * metrics are one transaction, and a checkpoint (weights, optimizer state, resume state) is written
 * with them every `checkpointEvery` env steps, at the end and on cancellation. A kill at any moment
 * loses at most the iterations since the last checkpoint; resuming on the same backend reproduces
 * the uninterrupted run bit for bit.
 */

export interface TrainingControl {
  /** True once cancellation was requested; read between iterations. */
  cancelled(): boolean;
  /** Lets pending messages (a cancel request) arrive between iterations. */
  yield(): Promise<void>;
}

export type TrainingEvent = Exclude<WorkerMessage, { type: 'finished' } | { type: 'failed' }>;

export interface TrainingOutcome {
  state: 'done' | 'cancelled';
  step: number;
  checkpointId: number | null;
}

/** Keys shown as "latest" in progress: episodic return and success, overall and per reward. */
const LATEST_PREFIXES = [METRIC_KEYS.episodicReturn, METRIC_KEYS.success];

export async function runTraining(
  db: DeltascopeDb,
  runId: number,
  control: TrainingControl,
  onEvent: (event: TrainingEvent) => void,
): Promise<TrainingOutcome> {
  const spec = specOfRun(db.runs.get(runId));
  const backend = (await initBackend()).label;
  const session = createTrainingSession(db, spec);
  try {
    const { trainer } = session;
    const resumedFrom = restoreLatest(db, runId, trainer);
    db.runs.setStatus(runId, 'running', backend);
    const totalSteps = trainer.numIterations * spec.ppo.numEnvs * spec.ppo.numSteps;
    const writer = new CheckpointWriter(db, runId, spec, backend, trainer, resumedFrom);
    const startStep = trainer.state().globalStep;
    onEvent({
      type: 'started',
      backend,
      step: startStep,
      totalSteps,
      resumedFromCheckpointId: resumedFrom?.id ?? null,
    });
    if (resumedFrom === null) onEvent(checkpointEvent(writer.write('init', [])));
    // Recovery to criterion: a check at the start, then each time a multiple of checkEvery is crossed.
    const criterion = spec.stopAtCriterion;
    let met = false;
    if (criterion !== undefined && resumedFrom === null) {
      const check = recoveryCheck(session.network, spec, criterion, startStep);
      db.metrics.append(runId, check.rows);
      met = check.met;
    }

    const latest: Record<string, number> = {};
    const started = performance.now();
    let step = startStep;
    let iteration = trainer.state().iteration;
    while (iteration < trainer.numIterations && !met && !control.cancelled()) {
      const result = trainer.iterate();
      const from = step;
      step = result.globalStep;
      iteration = result.iteration;
      const rows = metricRows(result);
      if (criterion !== undefined && checkDue(from, step, criterion.checkEvery)) {
        const check = recoveryCheck(session.network, spec, criterion, step);
        rows.push(...check.rows);
        met = check.met;
      }
      if (result.done || met || step - writer.lastStep >= spec.checkpointEvery) {
        onEvent(checkpointEvent(writer.write(result.done || met ? 'final' : `step ${step}`, rows)));
      } else {
        db.metrics.append(runId, rows);
      }
      updateLatest(latest, result.metrics);
      const rate = (step - startStep) / ((performance.now() - started) / 1000);
      onEvent({
        type: 'progress',
        step,
        totalSteps,
        iteration,
        numIterations: trainer.numIterations,
        stepsPerSecond: Number.isFinite(rate) && rate > 0 ? rate : null,
        etaSeconds: Number.isFinite(rate) && rate > 0 ? (totalSteps - step) / rate : null,
        latest: { ...latest },
      });
      await control.yield();
    }

    const finished = iteration >= trainer.numIterations || met;
    // A run resumed after its final checkpoint, or cancelled since the last one, gets one more (not a
    // recovery that met its criterion at the start: its init checkpoint is its result).
    const metAtStart = met && step === startStep && resumedFrom === null;
    if (writer.lastStep !== step || (finished && writer.lastLabel !== 'final' && !metAtStart)) {
      onEvent(checkpointEvent(writer.write(finished ? 'final' : `step ${step}`, [])));
    }
    db.runs.setStatus(runId, finished ? 'done' : 'cancelled', backend);
    return { state: finished ? 'done' : 'cancelled', step, checkpointId: writer.lastId };
  } finally {
    session.dispose();
  }
}

/** Restores the trainer from the run's latest checkpoint, if it has one; returns that checkpoint. */
function restoreLatest(db: DeltascopeDb, runId: number, trainer: PpoTrainer): CheckpointSummary | null {
  const latest = db.checkpoints.latestForRun(runId);
  if (latest === null) return null;
  const stored = db.checkpoints.readResume(latest.id);
  const { state } = decodeResume({
    checkpointId: latest.id,
    tensors: db.checkpoints.readTensors(latest.id),
    ...stored,
  });
  trainer.restoreState(state);
  return latest;
}

/** Writes checkpoints of one run, each a child of the previous one (the first: of spec.init). */
class CheckpointWriter {
  lastId: number | null;
  lastStep: number;
  lastLabel: string | null;

  constructor(
    private readonly db: DeltascopeDb,
    private readonly runId: number,
    private readonly spec: TrainingSpec,
    private readonly backend: string,
    private readonly trainer: PpoTrainer,
    resumedFrom: CheckpointSummary | null,
  ) {
    this.lastId = resumedFrom?.id ?? null;
    this.lastStep = resumedFrom?.step ?? -1;
    this.lastLabel = resumedFrom?.label ?? null;
  }

  /** One transaction: the metric rows and a checkpoint of the trainer's current state. */
  write(label: string, rows: readonly MetricRow[]): CheckpointSummary {
    const state = this.trainer.state();
    const encoded = encodeResume(state, this.backend);
    const initId = this.spec.init?.checkpointId ?? null;
    const summary = this.db.transaction(() => {
      if (rows.length > 0) this.db.metrics.append(this.runId, rows);
      return this.db.checkpoints.put({
        runId: this.runId,
        step: state.globalStep,
        label,
        parentCheckpointId: this.lastId ?? initId,
        tensors: encoded.tensors,
        provenance: {
          kind: 'training',
          description: `PPO on reward ${this.spec.trainReward}, ${state.globalStep} env steps (iteration ${state.iteration} of ${this.trainer.numIterations})`,
          inputs: initId === null ? [] : [initId],
          details: {
            iteration: state.iteration,
            backend: this.backend,
            experiment: this.spec.experiment,
            run: this.spec.run,
          },
        },
        optimizerState: encoded.optimizerState,
        resumeState: encoded.resumeState,
      });
    });
    this.lastId = summary.id;
    this.lastStep = summary.step;
    this.lastLabel = label;
    return summary;
  }
}

function checkpointEvent(summary: CheckpointSummary): TrainingEvent {
  return { type: 'checkpoint', checkpointId: summary.id, step: summary.step };
}

function metricRows(result: PpoIteration): MetricRow[] {
  return Object.entries(result.metrics)
    .filter(([, value]) => Number.isFinite(value))
    .map(([key, value]) => ({ key, step: result.globalStep, value }));
}

function updateLatest(latest: Record<string, number>, metrics: Record<string, number>): void {
  for (const [key, value] of Object.entries(metrics)) {
    if (
      Number.isFinite(value) &&
      LATEST_PREFIXES.some((prefix) => key === prefix || key.startsWith(`${prefix}/`))
    ) {
      latest[key] = value;
    }
  }
}
