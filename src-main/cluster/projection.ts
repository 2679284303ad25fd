import type { ClusterPlan } from './plan';

/**
 * Wall time of a plan on a number of nodes, from per-task durations: a task starts when what it
 * waits on is done and a node is free (longest-first among the ready ones, as a scheduler that knows
 * sizes would), plus a fixed scheduling overhead per task. What a task waits on depends on the
 * executor (`Waits`). The critical path — the longest chain of waits — bounds the wall time from
 * below whatever the number of nodes.
 */

/**
 * What a task waits on before it can start:
 * - 'tasks': the tasks it reads from (`--on local`, which starts a task as soon as its inputs are done);
 * - 'stages': every task of the stage before (`--on slurm`, one job array per stage chained with
 *   `afterok` on the whole array, so a stage starts when the stage before has finished entirely).
 */
export type Waits = 'tasks' | 'stages';

export interface Projection {
  nodes: number;
  wallSeconds: number;
  criticalPathSeconds: number;
}

/**
 * The longest chain of waits, each task with its duration plus the overhead: of dependent tasks
 * ('tasks'), or the sum of each stage's longest task ('stages').
 */
export function criticalPathSeconds(
  plan: ClusterPlan,
  seconds: readonly number[],
  overhead = 0,
  waits: Waits = 'tasks',
): number {
  if (waits === 'stages') {
    return plan.stages.reduce(
      (sum, stage) => sum + stage.reduce((max, index) => Math.max(max, seconds[index]! + overhead), 0),
      0,
    );
  }
  const finish: number[] = [];
  for (const task of plan.tasks) {
    const ready = task.deps.reduce((max, dep) => Math.max(max, finish[dep]!), 0);
    finish[task.index] = ready + seconds[task.index]! + overhead;
  }
  return finish.reduce((max, value) => Math.max(max, value), 0);
}

/**
 * Event simulation of list scheduling on `nodes` nodes, one task per node at a time:
 * 1. the ready tasks (every dep finished) wait in order of duration, longest first (then index);
 * 2. whenever nodes are free, the longest ready tasks start on them;
 * 3. time moves to the next finish; the tasks finishing then free their nodes and release the tasks
 *    that waited only on them ('tasks'), or, when the last task of a stage finishes, the whole next
 *    stage ('stages').
 * O(n log n + edges): the designer projects plans of thousands of tasks while the user types.
 */
export function projectWallTime(
  plan: ClusterPlan,
  seconds: readonly number[],
  nodes: number,
  overhead = 0,
  waits: Waits = 'tasks',
): Projection {
  if (seconds.length !== plan.tasks.length) {
    throw new Error(`seconds has ${seconds.length} entries; the plan has ${plan.tasks.length} tasks`);
  }
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`nodes must be a positive integer; got ${nodes}`);
  const waiting = waitingTasks(plan, waits);
  const longerFirst = (a: number, b: number): number => seconds[b]! - seconds[a]! || a - b;
  const ready = new SortedQueue(longerFirst);
  for (const task of waiting.initial) ready.push(task);
  const running = new SortedQueue((a, b) => finish[a]! - finish[b]! || a - b);
  const finish = new Array<number>(plan.tasks.length).fill(Number.POSITIVE_INFINITY);
  let now = 0;
  let wallSeconds = 0;
  for (;;) {
    while (running.size < nodes && ready.size > 0) {
      const task = ready.shift()!;
      finish[task] = now + seconds[task]! + overhead;
      running.push(task);
    }
    if (running.size === 0) break;
    now = finish[running.peek()!]!;
    while (running.size > 0 && finish[running.peek()!]! <= now) {
      const done = running.shift()!;
      wallSeconds = Math.max(wallSeconds, finish[done]!);
      for (const next of waiting.finished(done)) ready.push(next);
    }
  }
  return { nodes, wallSeconds, criticalPathSeconds: criticalPathSeconds(plan, seconds, overhead, waits) };
}

/**
 * The tasks free to start at once, and those each finish frees: a task whose last dependency it
 * was ('tasks'), or the whole next stage when it was its stage's last task ('stages': each task of a
 * stage waits for all of the stage before). Each finish is counted once: O(n + edges).
 */
function waitingTasks(
  plan: ClusterPlan,
  waits: Waits,
): { initial: readonly number[]; finished: (task: number) => readonly number[] } {
  if (waits === 'stages') {
    const left = plan.stages.map((stage) => stage.length);
    return {
      initial: plan.stages[0] ?? [],
      finished: (task) => {
        const stage = plan.tasks[task]!.stage;
        left[stage]! -= 1;
        return left[stage] === 0 ? (plan.stages[stage + 1] ?? []) : [];
      },
    };
  }
  const waitingOn = plan.tasks.map((task) => task.deps.length);
  const dependents: number[][] = plan.tasks.map(() => []);
  for (const task of plan.tasks) for (const dep of task.deps) dependents[dep]!.push(task.index);
  return {
    initial: plan.tasks.filter((task) => task.deps.length === 0).map((task) => task.index),
    finished: (task) =>
      dependents[task]!.filter((next) => {
        waitingOn[next]! -= 1;
        return waitingOn[next] === 0;
      }),
  };
}

/** A binary min-heap of task indices under `before` (negative: a comes first). */
class SortedQueue {
  private readonly heap: number[] = [];
  constructor(private readonly before: (a: number, b: number) => number) {}

  get size(): number {
    return this.heap.length;
  }

  peek(): number | undefined {
    return this.heap[0];
  }

  push(value: number): void {
    const heap = this.heap;
    heap.push(value);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.before(heap[i]!, heap[parent]!) >= 0) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  shift(): number | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      for (let i = 0; ;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let first = i;
        if (left < heap.length && this.before(heap[left]!, heap[first]!) < 0) first = left;
        if (right < heap.length && this.before(heap[right]!, heap[first]!) < 0) first = right;
        if (first === i) break;
        [heap[i], heap[first]] = [heap[first]!, heap[i]!];
        i = first;
      }
    }
    return top;
  }
}
