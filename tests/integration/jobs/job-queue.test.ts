import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JobQueue,
  type WorkerHandle,
  type WorkerLauncher,
  type WorkerMessage,
  type ParentMessage,
} from '../../../src-main/jobs';
import { DeltascopeError } from '../../../src-main/shared';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { eventRecorder, tinySpec } from './jobs-test-helpers';

/**
 * The queue's bookkeeping with scripted workers: no processes, so every interleaving is exact.
 * (Real workers are exercised in the other files of this folder.)
 */

interface FakeWorker {
  received: ParentMessage[];
  killed: boolean;
  send(message: WorkerMessage): void;
  exit(code: number | null, signal?: string | null): void;
}

function fakeLauncher(): { launcher: WorkerLauncher; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  return {
    workers,
    launcher: {
      name: 'fake',
      launch(): WorkerHandle {
        const messageListeners: ((message: unknown) => void)[] = [];
        const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
        const worker: FakeWorker = {
          received: [],
          killed: false,
          send: (message) => messageListeners.forEach((listener) => listener(message)),
          exit: (code, signal = null) => exitListeners.forEach((listener) => listener(code, signal)),
        };
        workers.push(worker);
        return {
          pid: undefined,
          postMessage: (message) => worker.received.push(message),
          onMessage: (listener) => messageListeners.push(listener),
          onExit: (listener) => exitListeners.push(listener),
          kill: () => {
            worker.killed = true;
            worker.exit(null, 'SIGKILL');
          },
        };
      },
    },
  };
}

const temp = makeTempDir('jobs-queue');
let db: DeltascopeDb;
beforeAll(() => {
  db = createDatabase(join(temp.dir, 'queue.deltascope'));
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

function caught(fn: () => unknown): DeltascopeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeltascopeError) return error;
    throw error;
  }
  throw new Error('expected a DeltascopeError');
}

describe('JobQueue', () => {
  it('starts at most `parallelism` workers and the next queued job, oldest first, when one ends', () => {
    const { launcher, workers } = fakeLauncher();
    const queue = new JobQueue({ launcher, parallelism: 2 });
    const jobs = [1, 2, 3, 4, 5].map((i) => queue.startTraining(db, tinySpec({ run: `p${i}` })));
    expect(workers).toHaveLength(2);
    expect(workers.map((w) => w.received[0])).toEqual(
      jobs
        .slice(0, 2)
        .map((job) => ({ type: 'start', job: { jobId: job.jobId, dbPath: db.path, runId: job.runId } })),
    );

    workers[1]!.send({ type: 'finished', state: 'done', step: 1280, checkpointId: null });
    workers[1]!.exit(0);
    expect(workers).toHaveLength(3);
    expect(workers[2]!.received[0]).toMatchObject({ job: { jobId: jobs[2]!.jobId } });
    expect(queue.list().map((job) => job.state)).toEqual(['running', 'done', 'running', 'queued', 'queued']);
  });

  it('cancels a queued job at once: never started, run status cancelled', async () => {
    const { launcher, workers } = fakeLauncher();
    const recorder = eventRecorder();
    const queue = new JobQueue({ launcher, parallelism: 1, emit: recorder.emit });
    queue.startTraining(db, tinySpec({ run: 'busy' }));
    const waiting = queue.startTraining(db, tinySpec({ run: 'waiting' }));

    expect(queue.cancel(waiting.jobId).state).toBe('cancelled');
    expect(await queue.wait(waiting.jobId)).toMatchObject({ state: 'cancelled' });
    expect(recorder.statesOf(waiting.jobId)).toEqual(['queued', 'cancelled']);
    expect(db.runs.get(waiting.runId).status).toBe('cancelled');
    expect(workers).toHaveLength(1);
  });

  it('asks a running worker to cancel, and kills it when it does not end within the grace period', async () => {
    const { launcher, workers } = fakeLauncher();
    const queue = new JobQueue({ launcher, parallelism: 1, cancelGraceMs: 20 });
    const job = queue.startTraining(db, tinySpec({ run: 'stubborn' }));
    queue.cancel(job.jobId);
    expect(workers[0]!.received.at(-1)).toEqual({ type: 'cancel' });

    const info = await queue.wait(job.jobId);
    expect(workers[0]!.killed).toBe(true);
    expect(info.state).toBe('cancelled');
    expect(info.message).toMatch(/SIGKILL/);
    expect(db.runs.get(job.runId).status).toBe('cancelled');
  });

  it('marks job and run failed when a worker dies without a word, and relays a reported failure', async () => {
    const { launcher, workers } = fakeLauncher();
    const queue = new JobQueue({ launcher, parallelism: 2 });
    const crashed = queue.startTraining(db, tinySpec({ run: 'crashed' }));
    const reported = queue.startTraining(db, tinySpec({ run: 'reported' }));
    workers[0]!.send({
      type: 'started',
      backend: 'wasm',
      step: 0,
      totalSteps: 1280,
      resumedFromCheckpointId: null,
    });
    workers[0]!.exit(null, 'SIGSEGV');
    workers[1]!.send({
      type: 'failed',
      error: { code: 'SHAPE_MISMATCH', message: 'checkpoint 3 has tensor `x` of shape [2]' },
    });
    workers[1]!.exit(1);

    expect(await queue.wait(crashed.jobId)).toMatchObject({ state: 'failed', backend: 'wasm' });
    expect(queue.get(crashed.jobId).message).toMatch(/killed by SIGSEGV.*resume/);
    expect(db.runs.get(crashed.runId).status).toBe('failed');
    expect(await queue.wait(reported.jobId)).toMatchObject({
      state: 'failed',
      message: 'checkpoint 3 has tensor `x` of shape [2]',
    });
    expect(queue.lastBackend()).toBe('wasm');
  });

  it('throttles progress events but always sends the last one', async () => {
    const { launcher, workers } = fakeLauncher();
    const recorder = eventRecorder();
    const queue = new JobQueue({ launcher, parallelism: 1, progressIntervalMs: 60_000, emit: recorder.emit });
    const job = queue.startTraining(db, tinySpec({ run: 'chatty' }));
    for (let step = 64; step <= 640; step += 64) {
      workers[0]!.send({
        type: 'progress',
        step,
        totalSteps: 640,
        iteration: step / 64,
        numIterations: 10,
        stepsPerSecond: 1000,
        etaSeconds: (640 - step) / 1000,
        latest: { 'charts/success': step / 640 },
      });
    }
    workers[0]!.send({ type: 'finished', state: 'done', step: 640, checkpointId: 9 });
    workers[0]!.exit(0);
    await queue.wait(job.jobId);
    expect(recorder.progressOf(job.jobId).map((p) => p.done)).toEqual([64, 640]);
    expect(recorder.progressOf(job.jobId).at(-1)!.latest).toEqual({ 'charts/success': 1 });
    expect(queue.get(job.jobId)).toMatchObject({ state: 'done', lastCheckpointId: 9, done: 640 });
  });

  it('refuses an invalid spec naming the field, and creates no run', () => {
    const { launcher } = fakeLauncher();
    const queue = new JobQueue({ launcher, parallelism: 1 });
    const runsBefore = db.runs.listAll().length;
    const error = caught(() =>
      queue.startTraining(db, tinySpec({ ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 3 } })),
    );
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.message).toContain('spec.ppo.numMinibatches');
    expect(caught(() => queue.startTraining(db, tinySpec({ init: { checkpointId: 999 } }))).code).toBe(
      'NOT_FOUND',
    );
    expect(db.runs.listAll()).toHaveLength(runsBefore);
  });

  it('refuses to resume a run that is being trained, has finished, or is not a training run', () => {
    const { launcher, workers } = fakeLauncher();
    const queue = new JobQueue({ launcher, parallelism: 1 });
    const active = queue.startTraining(db, tinySpec({ run: 'active' }));
    expect(caught(() => queue.resume(db, active.runId)).message).toContain(
      `already being trained by job ${active.jobId}`,
    );

    workers[0]!.send({ type: 'finished', state: 'done', step: 1280, checkpointId: null });
    workers[0]!.exit(0);
    db.runs.setStatus(active.runId, 'done');
    expect(caught(() => queue.resume(db, active.runId)).message).toMatch(/finished its budget/);

    const experiment = db.experiments.findOrCreate('imports');
    const imported = db.runs.create({
      experimentId: experiment.id,
      name: 'imported',
      phase: 'imported',
      reward: { name: 'RA' },
      seed: null,
    });
    expect(caught(() => queue.resume(db, imported.id))).toMatchObject({ code: 'INVALID_SPEC' });
    expect(caught(() => queue.cancel('job-404'))).toMatchObject({ code: 'NOT_FOUND' });
  });
});
