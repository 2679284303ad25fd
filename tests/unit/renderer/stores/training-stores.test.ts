import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import { DeltascopeError, type JobInfo, type MetricSeries } from '@shared';
import { useAgentStore } from '../../../../src-renderer/stores/agent';
import { useJobsStore } from '../../../../src-renderer/stores/jobs';
import { useNoticesStore } from '../../../../src-renderer/stores/notices';
import { useRunsStore } from '../../../../src-renderer/stores/runs';
import { useTrainingStore } from '../../../../src-renderer/stores/training';
import { FakeTransport } from '../fake-transport';
import { sampleTree } from '../sample-tree';

/** Lets queued promise callbacks (fake replies, store follow-ups) run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function job(overrides: Partial<JobInfo> = {}): JobInfo {
  return {
    jobId: 'job-1',
    kind: 'training',
    label: 'train run-10',
    state: 'running',
    dbPath: '/data/a.deltascope',
    runId: 10,
    done: 0,
    total: 4096,
    ratePerSecond: null,
    etaSeconds: null,
    backend: 'wasm',
    lastCheckpointId: null,
    message: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

const stored: MetricSeries[] = [
  { key: 'charts/episodic_return/RA', steps: [256], values: [0.25], totalPoints: 1 },
];

let transport: FakeTransport;
let listed: JobInfo[];

beforeEach(() => {
  setActivePinia(createPinia());
  listed = [job()];
  transport = new FakeTransport()
    .handle('jobs.list', () => listed)
    .handle('runs.tree', () => sampleTree())
    .handle('metrics.keys', () => ['charts/episodic_return/RA', 'losses/value_loss'])
    .handle('metrics.series', () => stored)
    .handle('jobs.cancel', () => job({ state: 'cancelled', message: 'cancelled at step 512' }))
    .handle('jobs.resume', (params) => {
      const runId = (params as { runId: number }).runId;
      throw new DeltascopeError('INVALID_PAYLOAD', `run ${runId} is already being trained by job job-1.`);
    });
  provideApi(createApiClient(transport));
});

describe('jobs store', () => {
  it('follows progress events of listed jobs and keeps their readings for the curves', async () => {
    const jobs = useJobsStore();
    jobs.listen();
    await jobs.load();
    const progress = (done: number, latest: Record<string, number>) =>
      transport.emit('job.progress', {
        jobId: 'job-1',
        label: 'train run-10',
        done,
        total: 4096,
        unit: 'env steps',
        ratePerSecond: 1000,
        etaSeconds: (4096 - done) / 1000,
        latest,
      });
    progress(512, { 'charts/episodic_return/RA': 0.5 });
    progress(768, {});
    transport.emit('job.progress', {
      jobId: 'diff-7',
      label: 'diff',
      done: 1,
      total: 2,
      unit: 'tensors',
      ratePerSecond: null,
      etaSeconds: null,
      latest: { x: 1 },
    });
    expect(jobs.byRun.get(10)?.done).toBe(768);
    expect(jobs.byRun.get(10)?.etaSeconds).toBeCloseTo(3.328, 9);
    expect(jobs.live.get('job-1')).toEqual([{ step: 512, latest: { 'charts/episodic_return/RA': 0.5 } }]);
    expect(jobs.live.has('diff-7')).toBe(false);
    expect(jobs.activeCount).toBe(1);
  });

  it('keeps the furthest progress when a list reply is older than an event', async () => {
    const jobs = useJobsStore();
    jobs.listen();
    await jobs.load();
    transport.emit('job.progress', {
      jobId: 'job-1',
      label: 'l',
      done: 1024,
      total: 4096,
      unit: 'env steps',
      ratePerSecond: null,
      etaSeconds: null,
      latest: {},
    });
    await jobs.load();
    expect(jobs.byRun.get(10)?.done).toBe(1024);
  });

  it('shows the new state of a cancelled job, and the message of a refused resume', async () => {
    const jobs = useJobsStore();
    await jobs.load();
    await jobs.cancel('job-1');
    expect(jobs.byRun.get(10)?.state).toBe('cancelled');
    expect(await jobs.resume(10)).toBe(false);
    expect(useNoticesStore().notices.at(-1)?.message).toBe('run 10 is already being trained by job job-1.');
  });
});

describe('training store', () => {
  it('charts the followed run’s stored return and success, extended by its live readings', async () => {
    const runs = useRunsStore();
    await runs.loadTree();
    const jobs = useJobsStore();
    jobs.listen();
    await jobs.load();
    const training = useTrainingStore();
    training.listen();
    training.follow(10);
    await settle();
    expect(transport.calls.find((c) => c.method === 'metrics.series')?.params).toMatchObject({
      runId: 10,
      keys: ['charts/episodic_return/RA'],
    });
    transport.emit('job.progress', {
      jobId: 'job-1',
      label: 'l',
      done: 512,
      total: 4096,
      unit: 'env steps',
      ratePerSecond: null,
      etaSeconds: null,
      latest: { 'charts/episodic_return/RA': 0.75 },
    });
    expect(training.series).toEqual([
      { key: 'charts/episodic_return/RA', steps: [256, 512], values: [0.25, 0.75], totalPoints: 2 },
    ]);
    expect(training.job?.jobId).toBe('job-1');
  });

  it('re-reads the curves when the database is written, and forgets the run when another file opens', async () => {
    const training = useTrainingStore();
    training.listen();
    training.follow(10);
    await settle();
    const reads = () => transport.calls.filter((c) => c.method === 'metrics.series').length;
    const before = reads();
    transport.emit('db.changed', { info: null, reason: 'written' });
    await settle();
    await settle();
    expect(reads()).toBe(before + 1);
    transport.emit('db.changed', { info: null, reason: 'opened' });
    expect(training.runId).toBeNull();
    expect(training.series).toEqual([]);
  });
});

describe('agent store', () => {
  it('steps through a recorded episode within its bounds and stops playing at the end', async () => {
    transport
      .handle('episodes.record', () => ({
        format: 'deltascope.episode/1',
        size: 5,
        kinds: ['cheese'],
        rewardNames: ['RA'],
        actionNames: ['up', 'down', 'left', 'right'],
        walls: Array.from({ length: 25 }, () => 0),
        mazeSeed: 3,
        envSeed: 2 ** 48,
        policy: 'greedy',
        seed: 0,
        frames: [0, 1].map((t) => ({
          t,
          agent: { row: 1, col: 1 + t },
          objects: [],
          action: 3,
          probs: [0.25, 0.25, 0.25, 0.25],
          value: 0,
          rewards: { RA: 0 },
          collected: [],
        })),
        trail: [1, 2, 3].map((col) => ({ row: 1, col })),
        final: { agent: { row: 1, col: 3 }, objects: [] },
        outcome: {
          length: 2,
          terminated: false,
          returns: { RA: 0 },
          collectedAtStep: {},
          success: { RA: false },
        },
      }))
      .handle('eval.list', () => []);
    const agent = useAgentStore();
    agent.mazeSeed = 3;
    agent.open(100);
    await settle();
    expect(transport.calls.find((c) => c.method === 'episodes.record')?.params).toMatchObject({
      checkpointId: 100,
      mazeSeed: 3,
      policy: 'greedy',
    });
    expect(agent.positions).toBe(3);
    agent.step(5);
    expect(agent.position).toBe(2);
    agent.togglePlay();
    expect(agent.position).toBe(0);
    expect(agent.playing).toBe(true);
    agent.tick();
    agent.tick();
    agent.tick();
    expect(agent.position).toBe(2);
    expect(agent.playing).toBe(false);
  });
});
