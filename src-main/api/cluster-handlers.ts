import path from 'node:path';
import { checkMergeTarget } from '../cluster/merge';
import type { ApiHandlers, MergeSummary, WorkdirStatus } from '../shared';
import type { ComputeRunner } from './compute/compute-runner';

/**
 * `cluster.status` and `cluster.merge` (shared/contract-cluster.ts): a work folder of an experiment
 * run as tasks (src-main/cluster), read in a compute thread — reading hundreds of task files and
 * asking squeue must not hold up the API. The merge target is checked here first, where the open
 * database is known (the worker thread cannot see it), then again by the merge itself.
 */
export function createClusterHandlers(options: {
  compute: ComputeRunner;
}): Pick<ApiHandlers, 'cluster.status' | 'cluster.merge'> {
  const { compute } = options;
  return {
    'cluster.status': ({ workdir }) =>
      compute.task<WorkdirStatus>({ kind: 'cluster.status', workdir }, `Status of ${workdir}`).result,
    'cluster.merge': ({ workdir, into, jobId }) => {
      const target = checkMergeTarget(into);
      return compute.job<MergeSummary>(
        { kind: 'cluster.merge', workdir, into: target },
        {
          jobId,
          prefix: 'merge',
          label: `Merge ${path.basename(workdir)} into ${path.basename(target)}`,
          unit: 'tasks',
        },
      );
    },
  };
}
