import { z } from 'zod';

/**
 * Experiments run as tasks in a work folder (`deltascope run … --on slurm|local --workdir <folder>`,
 * src-main/cluster) over the API (spread into `methods` of contract.ts): the app follows a work
 * folder's progress read-only and merges its finished task files into a database it then opens.
 * `deltascope status --json` prints the same WorkdirStatus.
 */

const count = z.number().int().nonnegative();

export const CLUSTER_TASK_STATUSES = ['done', 'running', 'pending', 'failed', 'not-submitted'] as const;
export const ClusterTaskStatusSchema = z.enum(CLUSTER_TASK_STATUSES);
export type ClusterTaskStatus = z.output<typeof ClusterTaskStatusSchema>;

export const ClusterTaskReportSchema = z.object({
  index: count,
  /** The task's main graph node, e.g. "s1/finetune/coin". */
  node: z.string(),
  status: ClusterTaskStatusSchema,
  /** Why a failed task failed (its stored error, or that it ended without finishing); null otherwise. */
  error: z.string().nullable(),
  /** The last lines of a failed task's log; empty otherwise. */
  logTail: z.array(z.string()),
});
export type ClusterTaskReport = z.output<typeof ClusterTaskReportSchema>;

export const ClusterStageSchema = z.object({
  stage: count,
  /** What the stage's tasks do, from their nodes' kinds: e.g. "finetune, null". */
  label: z.string(),
  counts: z.record(ClusterTaskStatusSchema, count),
});

export const WorkdirStatusSchema = z.object({
  workdir: z.string(),
  experimentName: z.string(),
  stages: z.array(ClusterStageSchema),
  tasks: z.array(ClusterTaskReportSchema),
  /** Seconds left at the rate work (plan cost) was done since the first submission; null before any is done. */
  etaSeconds: z.number().nullable(),
  /** Every task's file is done: the folder can be merged whole. */
  complete: z.boolean(),
});
export type WorkdirStatus = z.output<typeof WorkdirStatusSchema>;

export const MergeSummarySchema = z.object({
  /** The merged database (absolute path). */
  target: z.string(),
  /** Tasks merged (indices). */
  merged: z.array(count),
  /** Tasks not merged because they are not done, with their state. */
  missing: z.array(z.object({ index: count, state: z.string() })),
  /** Rows copied per table. */
  rows: z.record(z.string(), count),
});
export type MergeSummary = z.output<typeof MergeSummarySchema>;

const workdir = z.string().min(1).describe('The work folder given to `deltascope run --workdir`.');

export const clusterMethods = {
  'cluster.status': {
    doc: "A work folder's progress, read-only: done / running / pending / failed tasks per stage (task files and Slurm's queue), failed tasks' errors and log tails, and an ETA.",
    request: z.object({ workdir }).strict(),
    response: WorkdirStatusSchema,
  },
  'cluster.merge': {
    doc: "Merge a work folder's finished task files into a database file (new, or an earlier merge of the same folder; never the open database), atomically; progress as job.progress.",
    request: z
      .object({
        workdir,
        into: z.string().min(1).describe('The .deltascope file to create or update.'),
        /** Names the merge's job.progress/job.state events; default `merge-<n>`. */
        jobId: z.string().min(1).optional(),
      })
      .strict(),
    response: MergeSummarySchema,
  },
} as const;
