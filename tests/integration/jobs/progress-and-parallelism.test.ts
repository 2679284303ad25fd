import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../../src-main/jobs';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { eventRecorder, recordingLauncher, TINY_BATCH, tinySpec } from './jobs-test-helpers';

const temp = makeTempDir('jobs-progress');
let db: DeltascopeDb;
const queues: JobQueue[] = [];

beforeAll(() => {
  db = createDatabase(join(temp.dir, 'progress.deltascope'));
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.dispose()));
  db.close();
  temp.cleanup();
});

function makeQueue(parallelism: number): { queue: JobQueue; recorder: ReturnType<typeof eventRecorder> } {
  const recorder = eventRecorder();
  const queue = new JobQueue({
    launcher: recordingLauncher().launcher,
    parallelism,
    progressIntervalMs: 0,
    emit: recorder.emit,
  });
  queues.push(queue);
  return { queue, recorder };
}

/** Most jobs in state running at once, replaying job.state events in order. */
function peakRunning(recorder: ReturnType<typeof eventRecorder>): number {
  const running = new Set<string>();
  let peak = 0;
  for (const { event, payload } of recorder.events) {
    if (event !== 'job.state' || !('state' in payload)) continue;
    if (payload.state === 'running') running.add(payload.jobId);
    else running.delete(payload.jobId);
    peak = Math.max(peak, running.size);
  }
  return peak;
}

describe('job progress', () => {
  it('streams progress with increasing env steps, a rate, an ETA and the latest return and success per reward', async () => {
    const { queue, recorder } = makeQueue(1);
    const total = TINY_BATCH * 12;
    const { jobId } = queue.startTraining(db, tinySpec({ run: 'progress', totalSteps: total }));
    const info = await queue.wait(jobId);

    expect(info).toMatchObject({ state: 'done', done: total, total });
    expect(recorder.statesOf(jobId)).toEqual(['queued', 'running', 'done']);
    const progress = recorder.progressOf(jobId);
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * TINY_BATCH));
    expect(progress.every((p) => p.total === total && p.unit === 'env steps')).toBe(true);
    expect(progress.every((p) => p.ratePerSecond !== null && p.ratePerSecond > 0)).toBe(true);
    const etas = progress.map((p) => p.etaSeconds);
    expect(etas.every((eta) => eta !== null && eta >= 0)).toBe(true);
    expect(etas[0]).toBeGreaterThan(0);
    expect(etas.at(-1)).toBe(0);
    // 16-step episodes end inside every rollout, so each reward's return and success are known.
    const latest = progress.at(-1)!.latest;
    for (const key of [
      'charts/episodic_return',
      'charts/success',
      'charts/episodic_return/RA',
      'charts/episodic_return/RB',
      'charts/success/RA',
      'charts/success/RB',
    ]) {
      expect(latest[key], key).toEqual(expect.any(Number));
    }
  });
});

describe('job queue parallelism', () => {
  it('runs one job at a time with parallelism 1, in the order they were queued', async () => {
    const { queue, recorder } = makeQueue(1);
    const jobs = ['first', 'second', 'third'].map((run) =>
      queue.startTraining(db, tinySpec({ run, totalSteps: TINY_BATCH * 3 })),
    );
    expect(queue.list().map((job) => job.state)).toEqual(['running', 'queued', 'queued']);
    const infos = await Promise.all(jobs.map((job) => queue.wait(job.jobId)));

    expect(infos.map((info) => info.state)).toEqual(['done', 'done', 'done']);
    expect(peakRunning(recorder)).toBe(1);
    const starts = infos.map((info) => info.startedAt!);
    const ends = infos.map((info) => info.finishedAt!);
    expect(starts[1]! >= ends[0]! && starts[2]! >= ends[1]!).toBe(true);
  });

  it('runs two jobs at once with parallelism 2 and queues the third', async () => {
    const { queue, recorder } = makeQueue(2);
    const jobs = ['a', 'b', 'c'].map((run) =>
      queue.startTraining(db, tinySpec({ run, totalSteps: TINY_BATCH * 3 })),
    );
    expect(queue.list().map((job) => job.state)).toEqual(['running', 'running', 'queued']);
    const infos = await Promise.all(jobs.map((job) => queue.wait(job.jobId)));

    expect(infos.map((info) => info.state)).toEqual(['done', 'done', 'done']);
    expect(peakRunning(recorder)).toBe(2);
    for (const job of jobs) expect(db.runs.get(job.runId).status).toBe('done');
  });
});
