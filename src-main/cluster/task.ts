import { createNodeForkLauncher, JobQueue } from '../jobs';
import { ProtocolRunner } from '../jobs/protocol/protocol-runner';
import { readNodeStates } from '../jobs/protocol/protocol-store';
import { DeltascopeError } from '../shared/errors';
import { ID_FLOOR_ENV, openDatabase } from '../store';
import { ancestorsOf, taskIdFloor, taskIdRange } from './plan';
import {
  CLUSTER_EXPERIMENT_ID,
  checkPlanHash,
  ensureTaskFile,
  readPlan,
  readTaskState,
  taskFile,
  taskOf,
} from './workdir';

/**
 * One cluster task (`deltascope task <workdir> <i>`), run by a Slurm array element or a local worker:
 * 1. its file is tasks/<i>.deltascope, a copy of the base database on first start, else as left;
 * 2. every task it reads from (transitively) must be done: their rows are copied in, ids unchanged;
 * 3. the protocol runner runs this task's nodes only; new rows get ids in the task's range;
 * 4. stop() (on SIGUSR1/SIGTERM) lets training write a last checkpoint; a rerun resumes from it.
 */

export interface TaskOutcome {
  index: number;
  state: 'done' | 'stopped' | 'failed';
  /** Node errors of a failed task. */
  errors: string[];
}

export class ClusterTaskRun {
  private runner: ProtocolRunner | null = null;
  private stopped = false;

  constructor(
    private readonly workdir: string,
    private readonly index: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  stop(): void {
    this.stopped = true;
    this.runner?.stop();
  }

  async run(): Promise<TaskOutcome> {
    const plan = readPlan(this.workdir);
    const task = taskOf(plan, this.index);
    for (const dep of ancestorsOf(plan, this.index)) {
      const state = readTaskState(this.workdir, plan, dep);
      if (state.state !== 'done') {
        throw new DeltascopeError(
          'JOB_FAILED',
          `task ${this.index} (${task.nodes[0]}) needs task ${dep} (${plan.tasks[dep]!.nodes[0]}), which is ${state.state}${state.error === null ? '' : `: ${state.error}`}.`,
        );
      }
    }
    // Every row this process and its training workers write is numbered from the task's range.
    process.env[ID_FLOOR_ENV] = String(taskIdFloor(this.index));
    const file = ensureTaskFile(this.workdir, this.index);
    const db = openDatabase(file);
    let alreadyDone: Set<string>;
    try {
      checkPlanHash(db, plan, file);
      for (const dep of ancestorsOf(plan, this.index)) {
        db.copyOwnedRowsFrom(taskFile(this.workdir, dep), taskIdRange(dep));
      }
      const states = readNodeStates(db, CLUSTER_EXPERIMENT_ID);
      alreadyDone = new Set(task.nodes.filter((id) => states.get(id)?.status === 'done'));
    } finally {
      db.close();
    }
    this.log(`task ${this.index}: ${task.nodes.join(', ')}`);
    if (this.stopped) return { index: this.index, state: 'stopped', errors: [] };

    // The outcome comes from the runner's own reports: reopening the file here would race the
    // runner's node thread, whose connection may still be closing (and checkpointing) after run().
    const outcomes = new Map<string, 'done' | 'failed'>();
    const queue = new JobQueue({ launcher: createNodeForkLauncher(), parallelism: 1 });
    let summary: Awaited<ReturnType<ProtocolRunner['run']>>;
    try {
      this.runner = new ProtocolRunner(file, CLUSTER_EXPERIMENT_ID, {
        queue,
        trainingSlots: 1,
        retryFailed: true,
        onlyNodes: new Set(task.nodes),
        onNode: (nodeId, status) => {
          outcomes.set(nodeId, status);
          this.log(`${status}: ${nodeId}`);
        },
      });
      summary = await this.runner.run();
    } finally {
      await queue.dispose();
    }
    if (summary.stopped) return { index: this.index, state: 'stopped', errors: [] };
    const failures = new Map(summary.failed.map((failure) => [failure.nodeId, failure.error]));
    const errors = task.nodes
      .filter((id) => outcomes.get(id) !== 'done' && !alreadyDone.has(id))
      .map((id) => `${id}: ${failures.get(id) ?? 'not run'}`);
    return { index: this.index, state: errors.length === 0 ? 'done' : 'failed', errors };
  }
}
