import { describe, expect, it } from 'vitest';
import { WorkerJobs } from '../../../../src-main/api/weights/worker-job';
import { DeltascopeError } from '../../../../src-main/shared/errors';

/** The job registry the diff and aggregation runners share: ids, refusals of a second run, cancel, dispose. */
describe('WorkerJobs', () => {
  it('numbers unnamed jobs by prefix and keeps a named one', () => {
    const jobs = new WorkerJobs('diff', 'A diff');
    expect([jobs.claim(undefined), jobs.claim(null), jobs.claim('mine')]).toEqual([
      'diff-1',
      'diff-2',
      'mine',
    ]);
  });

  it('refuses a job id that is already running, naming it, and frees it once the job ends', () => {
    const jobs = new WorkerJobs('aggregate', 'An aggregation');
    jobs.running.set('agg', () => jobs.running.delete('agg'));
    let refusal: unknown;
    try {
      jobs.claim('agg');
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DeltascopeError);
    expect(refusal).toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: 'An aggregation with job id "agg" is already running.',
    });
    expect(jobs.cancel('agg')).toBe(true);
    expect(jobs.claim('agg')).toBe('agg');
  });

  it('cancels by id (false for none) and stops every running job on dispose', () => {
    const jobs = new WorkerJobs('diff', 'A diff');
    const stopped: string[] = [];
    for (const id of ['a', 'b', 'c']) jobs.running.set(id, () => (stopped.push(id), jobs.running.delete(id)));
    expect(jobs.cancel('nope')).toBe(false);
    expect(jobs.cancel('b')).toBe(true);
    jobs.dispose();
    expect(stopped).toEqual(['b', 'a', 'c']);
    expect(jobs.running.size).toBe(0);
  });
});
