import type { ClusterPlan } from './plan';

/**
 * Wall time of a plan on a number of nodes, from per-task durations: tasks start as soon as every
 * task they read from is done and a node is free (longest-first among the ready ones, as a
 * scheduler that knows sizes would), plus a fixed scheduling overhead per task. The critical path —
 * the longest chain of dependent tasks — bounds it from below whatever the number of nodes.
 */

export interface Projection {
  nodes: number;
  wallSeconds: number;
  criticalPathSeconds: number;
}

/** The longest chain of dependent tasks, each with its duration plus the overhead. */
export function criticalPathSeconds(plan: ClusterPlan, seconds: readonly number[], overhead = 0): number {
  const finish: number[] = [];
  for (const task of plan.tasks) {
    const ready = task.deps.reduce((max, dep) => Math.max(max, finish[dep]!), 0);
    finish[task.index] = ready + seconds[task.index]! + overhead;
  }
  return finish.reduce((max, value) => Math.max(max, value), 0);
}

/** Event simulation of list scheduling on `nodes` nodes, one task per node at a time. */
export function projectWallTime(
  plan: ClusterPlan,
  seconds: readonly number[],
  nodes: number,
  overhead = 0,
): Projection {
  if (seconds.length !== plan.tasks.length) {
    throw new Error(`seconds has ${seconds.length} entries; the plan has ${plan.tasks.length} tasks`);
  }
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`nodes must be a positive integer; got ${nodes}`);
  const finish = new Array<number>(plan.tasks.length).fill(Number.POSITIVE_INFINITY);
  const started = new Set<number>();
  const free: number[] = new Array<number>(nodes).fill(0);
  let now = 0;
  while (started.size < plan.tasks.length) {
    const ready = plan.tasks
      .filter((task) => !started.has(task.index) && task.deps.every((dep) => finish[dep]! <= now))
      .sort((a, b) => seconds[b.index]! - seconds[a.index]!);
    for (const task of ready) {
      const node = free.findIndex((time) => time <= now);
      if (node < 0) break;
      started.add(task.index);
      finish[task.index] = now + seconds[task.index]! + overhead;
      free[node] = finish[task.index]!;
    }
    const next = Math.min(
      ...free.filter((time) => time > now),
      ...finish.filter((time) => time > now && Number.isFinite(time)),
    );
    if (!Number.isFinite(next)) break;
    now = next;
  }
  return {
    nodes,
    wallSeconds: finish.reduce((max, value) => Math.max(max, value), 0),
    criticalPathSeconds: criticalPathSeconds(plan, seconds, overhead),
  };
}
