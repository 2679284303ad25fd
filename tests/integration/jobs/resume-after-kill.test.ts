import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue, ResumeStateSchema } from '../../../src-main/jobs';
import type { JobInfo } from '../../../src-main/shared';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { eventRecorder, integrityCheck, recordingLauncher, TINY_BATCH, tinySpec } from './jobs-test-helpers';

// 120 iterations of 64 env steps: long enough that a kill after the third checkpoint lands mid-run.
const TOTAL = TINY_BATCH * 120;
const INTERRUPT_AT = TINY_BATCH * 3;

const temp = makeTempDir('jobs-resume');
const dbPath = join(temp.dir, 'resume.deltascope');
let db: DeltascopeDb;
let queue: JobQueue;
const { launcher, handles } = recordingLauncher();
const interruptions = new Map<string, (jobId: string) => void>();
const recorder = eventRecorder(({ event, payload }) => {
  if (event !== 'job.progress' || !('done' in payload) || payload.done < INTERRUPT_AT) return;
  const interrupt = interruptions.get(payload.jobId);
  interruptions.delete(payload.jobId);
  interrupt?.(payload.jobId);
});
let baseline: Promise<JobInfo>;

beforeAll(() => {
  db = createDatabase(dbPath);
  queue = new JobQueue({ launcher, parallelism: 2, progressIntervalMs: 0, emit: recorder.emit });
  // The uninterrupted reference runs alongside the tests below.
  const { jobId } = queue.startTraining(db, tinySpec({ run: 'uninterrupted', totalSteps: TOTAL }));
  baseline = queue.wait(jobId);
});

afterAll(async () => {
  await queue.dispose();
  db.close();
  temp.cleanup();
});

/** The final checkpoint of a run: its weights' sha256 and its optimizer bytes. */
function finalCheckpoint(runId: number): { step: number; label: string; sha256: string; optimizer: Buffer } {
  const latest = db.checkpoints.latestForRun(runId);
  if (latest === null) throw new Error(`run ${runId} has no checkpoint`);
  const { optimizerState } = db.checkpoints.readResume(latest.id);
  return {
    step: latest.step,
    label: latest.label,
    sha256: latest.sha256,
    optimizer: Buffer.from(optimizerState ?? []),
  };
}

describe('training jobs survive interruption', () => {
  it('a worker killed with SIGKILL after a checkpoint leaves a sound database, and resuming reaches bit-identical final weights', async () => {
    const { jobId, runId } = queue.startTraining(db, tinySpec({ run: 'killed', totalSteps: TOTAL }));
    interruptions.set(jobId, (id) => process.kill(handles.get(id)!.pid!, 'SIGKILL'));

    const killed = await queue.wait(jobId);
    expect(killed.state).toBe('failed');
    expect(killed.message).toMatch(/SIGKILL/);
    expect(integrityCheck(dbPath)).toBe('ok');
    const run = db.runs.get(runId);
    expect(run.status).toBe('failed');
    expect(run.lastStep).toBeGreaterThanOrEqual(INTERRUPT_AT);
    expect(run.lastStep).toBeLessThan(TOTAL);
    const last = db.checkpoints.latestForRun(runId)!;
    expect(ResumeStateSchema.parse(db.checkpoints.readResume(last.id).resumeState).globalStep).toBe(
      last.step,
    );

    const resumed = queue.resume(db, runId);
    expect(resumed.runId).toBe(runId);
    expect((await queue.wait(resumed.jobId)).state).toBe('done');
    expect((await baseline).state).toBe('done');

    const reference = finalCheckpoint((await baseline).runId);
    const continued = finalCheckpoint(runId);
    expect(reference).toMatchObject({ step: TOTAL, label: 'final' });
    expect(continued.step).toBe(TOTAL);
    expect(continued.sha256).toBe(reference.sha256);
    expect(continued.optimizer.equals(reference.optimizer)).toBe(true);
    // Training moved the weights: equality above is not two untouched initialisations.
    expect(db.checkpoints.listByRun(runId)[0]!.sha256).not.toBe(reference.sha256);
    expect(db.runs.get(runId)).toMatchObject({ status: 'done', backend: (await baseline).backend });
  });

  it('a cancelled run keeps status cancelled and a last checkpoint at the step it reached, and resumes to the same weights', async () => {
    const { jobId, runId } = queue.startTraining(db, tinySpec({ run: 'cancelled', totalSteps: TOTAL }));
    interruptions.set(jobId, (id) => queue.cancel(id));

    const cancelled = await queue.wait(jobId);
    expect(cancelled.state).toBe('cancelled');
    expect(integrityCheck(dbPath)).toBe('ok');
    const run = db.runs.get(runId);
    expect(run.status).toBe('cancelled');
    expect(run.lastStep).toBe(cancelled.done);
    expect(run.lastStep).toBeLessThan(TOTAL);
    expect(cancelled.lastCheckpointId).toBe(db.checkpoints.latestForRun(runId)!.id);
    expect(db.metrics.series(runId, 'losses/value_loss').steps.at(-1)).toBe(cancelled.done);

    const resumed = queue.resume(db, runId);
    expect((await queue.wait(resumed.jobId)).state).toBe('done');
    expect(finalCheckpoint(runId).sha256).toBe(finalCheckpoint((await baseline).runId).sha256);
  });

  it('a fine-tune from a checkpoint killed during its learning-rate warm-up resumes to bit-identical weights and rates', async () => {
    const trained = db.checkpoints.latestForRun((await baseline).runId)!.id;
    // the warm-up spans the interruption (after the third iteration), so the resumed part continues it
    const fineTune = (run: string) =>
      tinySpec({
        run,
        phase: 'control',
        totalSteps: TOTAL,
        init: { checkpointId: trained },
        ppo: { ...tinySpec().ppo, warmupIterations: 40 },
      });
    const reference = queue.startTraining(db, fineTune('warm-uninterrupted'));
    const { jobId, runId } = queue.startTraining(db, fineTune('warm-killed'));
    interruptions.set(jobId, (id) => process.kill(handles.get(id)!.pid!, 'SIGKILL'));
    expect((await queue.wait(jobId)).state).toBe('failed');
    expect(db.runs.get(runId).lastStep).toBeLessThan(TINY_BATCH * 40);

    const resumed = queue.resume(db, runId);
    expect((await queue.wait(resumed.jobId)).state).toBe('done');
    expect((await queue.wait(reference.jobId)).state).toBe('done');
    const expected = finalCheckpoint(reference.runId);
    const continued = finalCheckpoint(runId);
    expect(continued.sha256).toBe(expected.sha256);
    expect(continued.optimizer.equals(expected.optimizer)).toBe(true);
    const rates = (id: number): Map<number, number> => {
      const { steps, values } = db.metrics.series(id, 'charts/learning_rate');
      return new Map([...steps].map((step, i) => [step, values[i]!]));
    };
    const warm = rates(reference.runId);
    expect(warm.get(TINY_BATCH)).toBeCloseTo(0.001 * 0.05, 10); // the warm-up was on
    expect(rates(runId)).toEqual(warm);
  });
});
