import type { ApiHandlers } from '../shared';
import type { DeltascopeDb } from '../store';
import type { JobQueue } from '../jobs';

type JobMethods = 'jobs.list' | 'jobs.startTraining' | 'jobs.cancel' | 'jobs.resume';

/**
 * The `jobs.*` methods: training jobs of the session's queue. Starting and resuming act on the open
 * database (its path goes to the worker, which opens its own connection).
 */
export function createJobsHandlers(
  queue: JobQueue,
  database: () => DeltascopeDb,
): Pick<ApiHandlers, JobMethods> {
  return {
    'jobs.list': () => queue.list(),
    'jobs.startTraining': ({ spec }) => queue.startTraining(database(), spec),
    'jobs.cancel': ({ jobId }) => queue.cancel(jobId),
    'jobs.resume': ({ runId }) => queue.resume(database(), runId),
  };
}
