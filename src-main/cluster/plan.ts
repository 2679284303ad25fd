import { createHash } from 'node:crypto';
import type { ExperimentSpec } from '../shared/experiment-spec';
import { nodeCost, type JobGraph } from '../protocol';

/**
 * An experiment's job graph cut into tasks for a cluster: each task is one unit of work that one
 * process runs into its own database file — a node, together with the evaluations of the checkpoint
 * it makes (they need nothing else, so they ride along instead of paying a process start each).
 * Tasks are grouped into stages by their depth in the graph; a stage is submitted as one job array
 * that starts after the stages before it.
 */

export const CLUSTER_PLAN_FORMAT = 'deltascope.cluster.plan/1';

/** Rows written by task i get ids in [ (i+1)·ID_RANGE + 1, (i+2)·ID_RANGE ]; the base file's rows lie below ID_RANGE. */
export const ID_RANGE = 2 ** 20;

export interface ClusterTask {
  /** Index in plan.tasks; the Slurm array index; names the task's file `tasks/<index>.deltascope`. */
  index: number;
  /** The graph nodes this task runs, in graph order; the first is the task's main node. */
  nodes: string[];
  /** Tasks whose outputs this task reads (indices, ascending). */
  deps: number[];
  /** Depth: 0 for tasks with no deps, else 1 + the largest stage of a dep. */
  stage: number;
  /** Relative cost (the protocol's nodeCost: env steps), for ETAs and projections. */
  cost: number;
}

export interface ClusterPlan {
  format: typeof CLUSTER_PLAN_FORMAT;
  /** sha256 of the resolved spec and its graph: a task file with another hash is foreign. */
  hash: string;
  experimentName: string;
  tasks: ClusterTask[];
  /** Task indices per stage. */
  stages: number[][];
}

/** The id range of task `index`'s rows. */
export function taskIdRange(index: number): { low: number; high: number } {
  return { low: (index + 1) * ID_RANGE + 1, high: (index + 2) * ID_RANGE };
}

/** The floor that makes a task's new rows fall in its range (DELTASCOPE_ID_FLOOR). */
export function taskIdFloor(index: number): number {
  return (index + 1) * ID_RANGE;
}

/** sha256 of the spec and graph as canonical JSON (object keys sorted). */
export function planHash(spec: ExperimentSpec, graph: JobGraph): string {
  return createHash('sha256').update(canonicalJson({ spec, graph })).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The plan of a graph (nodes in topological order, as buildJobGraph makes them):
 * 1. every node that is not an evaluation starts a task;
 * 2. an evaluation with one dep joins that dep's task; other evaluations start their own;
 * 3. a task depends on the tasks of its nodes' deps; its stage is 1 + its deps' largest stage.
 */
export function planTasks(spec: ExperimentSpec, graph: JobGraph): ClusterPlan {
  const taskOf = new Map<string, number>();
  const members: string[][] = [];
  for (const node of graph.nodes) {
    const host =
      node.params.kind === 'evaluate' && node.deps.length === 1 ? taskOf.get(node.deps[0]!) : undefined;
    if (host === undefined) {
      taskOf.set(node.id, members.length);
      members.push([node.id]);
    } else {
      taskOf.set(node.id, host);
      members[host]!.push(node.id);
    }
  }
  const nodeById = new Map(graph.nodes.map((node) => [node.id, node]));
  const tasks: ClusterTask[] = [];
  for (const [index, nodes] of members.entries()) {
    const deps = new Set<number>();
    for (const id of nodes) {
      for (const dep of nodeById.get(id)!.deps) {
        const depTask = taskOf.get(dep);
        if (depTask === undefined)
          throw new Error(`node ${id} depends on ${dep}, which comes after it in the graph`);
        if (depTask !== index) deps.add(depTask);
      }
    }
    const sortedDeps = [...deps].sort((a, b) => a - b);
    if (sortedDeps.some((dep) => dep >= index)) {
      throw new Error(
        `task ${index} (${nodes[0]}) depends on a later task: the graph is not in topological order`,
      );
    }
    const stage = sortedDeps.length === 0 ? 0 : 1 + Math.max(...sortedDeps.map((dep) => tasks[dep]!.stage));
    const cost = nodes.reduce((sum, id) => sum + nodeCost(spec, nodeById.get(id)!), 0);
    tasks.push({ index, nodes, deps: sortedDeps, stage, cost });
  }
  const stageCount = tasks.reduce((max, task) => Math.max(max, task.stage + 1), 0);
  const stages = Array.from({ length: stageCount }, (_, stage) =>
    tasks.filter((task) => task.stage === stage).map((task) => task.index),
  );
  return {
    format: CLUSTER_PLAN_FORMAT,
    hash: planHash(spec, graph),
    experimentName: spec.name,
    tasks,
    stages,
  };
}

/** Every task `index` reads from, transitively (ascending). */
export function ancestorsOf(plan: ClusterPlan, index: number): number[] {
  const seen = new Set<number>();
  const stack = [...plan.tasks[index]!.deps];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...plan.tasks[next]!.deps);
  }
  return [...seen].sort((a, b) => a - b);
}

/** Slurm's --array syntax for a list of indices: runs collapsed, `0-3,7,9-10`. */
export function arraySpec(indices: readonly number[]): string {
  const sorted = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
