import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../src-main/shared';
import { useApiService } from '../../helpers/api-service';
import { recordingLauncher, TINY_BATCH, tinySpec } from './jobs-test-helpers';

const api = useApiService('jobs-api', () => ({
  jobLauncher: recordingLauncher().launcher,
  jobParallelism: 1,
}));
const { call, fail: callError } = api;

describe('jobs.* API methods', () => {
  it('need an open database', async () => {
    expect((await callError('jobs.startTraining', { spec: tinySpec() })).code).toBe('NO_DATABASE');
  });

  it('validate the spec before anything is queued, naming the invalid field', async () => {
    await call('db.create', { path: join(api.dir, 'api.deltascope') });
    const error = await callError('jobs.startTraining', { spec: { ...tinySpec(), seed: -1 } });
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toContain('params.spec.seed');
    expect(await call('jobs.list', {})).toEqual([]);
  });

  it('train a run in a worker, pushing job api.events and showing its backend in the run and in app.info', async () => {
    const total = TINY_BATCH * 4;
    const started = (await call('jobs.startTraining', {
      spec: tinySpec({ run: 'via-api', totalSteps: total }),
    })) as {
      jobId: string;
      runId: number;
    };
    const info = await api.service.jobs.wait(started.jobId);
    expect(info).toMatchObject({ state: 'done', runId: started.runId, done: total });

    const listed = (await call('jobs.list', {})) as JobInfo[];
    expect(listed.map((job) => [job.jobId, job.state])).toEqual([[started.jobId, 'done']]);
    const run = (await call('runs.get', { runId: started.runId })) as {
      status: string;
      backend: string;
      checkpoints: { label: string }[];
    };
    expect(run.status).toBe('done');
    expect(run.backend).toBe(info.backend);
    expect(run.checkpoints.at(-1)!.label).toBe('final');
    expect(((await call('app.info', {})) as { computeBackend: string }).computeBackend).toBe(info.backend);

    const names = api.events.map((event) => event.event);
    expect(names).toContain('job.progress');
    expect(
      api.events.filter((e) => e.event === 'job.state').map((e) => (e.payload as { state: string }).state),
    ).toEqual(['queued', 'running', 'done']);
    // Windows hear that the open file was written (new checkpoints), so they refresh their tree.
    expect(
      api.events.some(
        (e) => e.event === 'db.changed' && (e.payload as { reason: string }).reason === 'written',
      ),
    ).toBe(true);
  });

  it('refuse to resume a finished run and to cancel an unknown job', async () => {
    const [job] = (await call('jobs.list', {})) as JobInfo[];
    expect((await callError('jobs.resume', { runId: job!.runId })).message).toMatch(/finished its budget/);
    expect((await callError('jobs.cancel', { jobId: 'job-99' })).code).toBe('NOT_FOUND');
    expect(((await call('jobs.cancel', { jobId: job!.jobId })) as JobInfo).state).toBe('done');
  });
});
