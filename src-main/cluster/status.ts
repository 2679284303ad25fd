import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ClusterTaskReport, ClusterTaskStatus, WorkdirStatus } from '../shared/contract-cluster';
import type { ClusterPlan } from './plan';
import { latestJobOfTask, queuedTasks, readSubmissions } from './slurm';
import { readTaskState, workdirPaths, type TaskFileState } from './workdir';

/** A work folder's progress: task files for what finished, squeue for what Slurm still holds. */

export type { ClusterTaskReport as TaskReport, ClusterTaskStatus as TaskStatus, WorkdirStatus };

function logTail(workdir: string, job: string | undefined, index: number, lines = 8): string[] {
  const candidates = [
    ...(job === undefined ? [] : [path.join(workdirPaths(workdir).logs, `${job}_${index}.log`)]),
    path.join(workdirPaths(workdir).logs, `local_${index}.log`),
  ];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (file === undefined) return [];
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
}

/** A task file that cannot be read (damaged, foreign) is a failed task with that reason, not a failed status. */
function readTaskStateOrError(workdir: string, plan: ClusterPlan, index: number): TaskFileState {
  try {
    return readTaskState(workdir, plan, index);
  } catch (error) {
    return { state: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What a stage's tasks do, from their main nodes' kinds (the segment after the replication in a node
 * id such as "s1/finetune/coin"), in order of first appearance: e.g. "finetune, null".
 */
export function stageLabel(plan: ClusterPlan, indices: readonly number[]): string {
  const kinds = new Set<string>();
  for (const index of indices) {
    const parts = plan.tasks[index]!.nodes[0]!.split('/');
    kinds.add(parts.length > 1 && /^s\d+$/.test(parts[0]!) ? parts[1]! : parts[0]!);
  }
  return [...kinds].join(', ');
}

export function workdirStatus(workdir: string, plan: ClusterPlan, now = Date.now()): WorkdirStatus {
  const submissions = readSubmissions(workdir);
  const jobOf = latestJobOfTask(submissions);
  const queued = queuedTasks([...new Set(submissions.map((s) => s.jobId))]);
  const tasks: ClusterTaskReport[] = plan.tasks.map((task) => {
    const file = readTaskStateOrError(workdir, plan, task.index);
    const slurm = queued.get(task.index);
    let status: ClusterTaskStatus;
    if (file.state === 'done') status = 'done';
    else if (slurm === 'running' || slurm === 'completing') status = 'running';
    else if (slurm !== undefined) status = 'pending';
    else if (file.state === 'failed' || jobOf.has(task.index)) status = 'failed';
    else status = file.state === 'started' ? 'failed' : 'not-submitted';
    const failedTask = status === 'failed';
    return {
      index: task.index,
      node: task.nodes[0]!,
      status,
      error: failedTask ? (file.error ?? 'ended without finishing (see its log)') : null,
      logTail: failedTask ? logTail(workdir, jobOf.get(task.index), task.index) : [],
    };
  });
  const stages = plan.stages.map((indices, stage) => {
    const counts: Record<ClusterTaskStatus, number> = {
      done: 0,
      running: 0,
      pending: 0,
      failed: 0,
      'not-submitted': 0,
    };
    for (const index of indices) counts[tasks[index]!.status] += 1;
    return { stage, label: stageLabel(plan, indices), counts };
  });
  const total = plan.tasks.reduce((sum, task) => sum + task.cost, 0);
  const doneCost = plan.tasks
    .filter((task) => tasks[task.index]!.status === 'done')
    .reduce((s, t) => s + t.cost, 0);
  const first = submissions[0] === undefined ? null : Date.parse(submissions[0].submittedAt);
  const elapsed = first === null ? 0 : (now - first) / 1000;
  const etaSeconds = doneCost > 0 && elapsed > 0 ? ((total - doneCost) * elapsed) / doneCost : null;
  return {
    workdir: path.resolve(workdir),
    experimentName: plan.experimentName,
    stages,
    tasks,
    etaSeconds,
    complete: tasks.every((task) => task.status === 'done'),
  };
}
