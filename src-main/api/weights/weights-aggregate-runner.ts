import { existsSync, rmSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { AggregateFolderResult, RelevanceMapSummary } from '../../shared/contract-weights';
import { fromErrorPayload } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import {
  aggregateCheckpoints,
  aggregationSize,
  planAggregation,
  storeAggregation,
  type AggregateOutput,
  type AggregateParams,
  type AggregatePlan,
} from './weights-aggregate';
import {
  aggregateCheckpointsToFolder,
  resolveOutFolder,
  type AggregateFolderParams,
} from './weights-aggregate-folder';
import type { AggregateWorkerInput, AggregateWorkerMessage } from './weights-aggregate-messages';
import { startWorkerThread } from '../../jobs/task-thread';
import { checkFolderTarget, partialFolderPath } from '../../weights';
import { jobProgress, runWorkerJob, WorkerJobs, type Emit } from './worker-job';

/**
 * weights.aggregate off the main event loop: aggregations of at least `workerThreshold` parameters
 * are folded in a worker thread that reads the database through its own connection and reports
 * `job.progress` (tensors done / total, with ETA); the main side then stores the map in one write.
 * Smaller ones, and databases with no file to reopen, run inline. A running one stops on
 * `cancel(jobId)` (the handler wires diff.cancel to it): the call fails with CANCELLED and no
 * artifact is written.
 *
 * weights.aggregateToFolder runs the same way, but the worker streams the result into a sharded
 * safetensors folder (weights-aggregate-folder.ts) and reports parameters written. The folder is
 * checked before anything starts (a non-empty one is refused, naming it); it is built under a hidden
 * temporary name and renamed when complete, and when the worker is stopped or dies that temporary
 * folder is removed once the thread has exited, so no half-written folder is ever left.
 */

/** Parameters from which an aggregation moves to a worker thread. */
export const DEFAULT_AGGREGATE_WORKER_THRESHOLD = 2_000_000;

export interface AggregateRequest extends AggregateParams {
  jobId?: string | undefined;
}

export interface AggregateFolderRequest extends Omit<AggregateFolderParams, 'folder'> {
  folder: string;
  jobId?: string | undefined;
}

export interface AggregateRunnerOptions {
  emit: Emit;
  workerThreshold?: number;
}

/** What the worker thread is given for a planned aggregation; with `folder`, it writes that folder. */
function workerInputs(
  databasePath: string,
  plan: AggregatePlan,
  folder?: AggregateFolderParams,
): AggregateWorkerInput {
  const { base, deltas, nullDelta } = plan.params;
  return { databasePath, base, deltas, nullDelta, spec: plan.spec, names: plan.names, folder };
}

/** The job's label: "<kind> of N deltas over #base". */
function aggregationLabel(params: AggregateParams): string {
  const n = params.deltas.length;
  return `${params.aggregator.kind} of ${n} delta${n === 1 ? '' : 's'} over #${params.base}`;
}

function startWorker(input: AggregateWorkerInput): Worker {
  return startWorkerThread(
    'aggregate-worker.cjs',
    'api/weights/weights-aggregate-worker.ts',
    'aggregation',
    input,
  );
}

/** Runs aggregations inline or in worker threads; keeps the running ones so they can be cancelled. */
export class AggregateRunner {
  private readonly jobs = new WorkerJobs('aggregate', 'An aggregation');
  private readonly threshold: number;

  constructor(private readonly options: AggregateRunnerOptions) {
    this.threshold = options.workerThreshold ?? DEFAULT_AGGREGATE_WORKER_THRESHOLD;
  }

  async aggregate(db: DeltascopeDb, request: AggregateRequest): Promise<RelevanceMapSummary> {
    const { jobId: requested, ...params } = request;
    const plan = planAggregation(db, params);
    if (this.runsInline(db, plan)) return aggregateCheckpoints(db, params);
    const outputs = await this.inWorker<AggregateOutput[]>(
      requested,
      `Aggregate ${aggregationLabel(params)}`,
      'tensors',
      workerInputs(db.path, plan),
      (message) => (message.type === 'done' ? message.outputs : undefined),
    );
    return storeAggregation(db, plan, outputs);
  }

  /** weights.aggregateToFolder: the folder is checked first; large ones are written in a worker thread. */
  async aggregateToFolder(db: DeltascopeDb, request: AggregateFolderRequest): Promise<AggregateFolderResult> {
    const { jobId: requested, ...rest } = request;
    const params: AggregateFolderParams = { ...rest, folder: resolveOutFolder(rest.folder) };
    const plan = planAggregation(db, params);
    checkFolderTarget(params.folder);
    if (this.runsInline(db, plan)) return aggregateCheckpointsToFolder(db, params);
    const what = params.merge ? 'Merge' : 'Aggregate';
    return this.inWorker<AggregateFolderResult>(
      requested,
      `${what} ${aggregationLabel(params)} into ${params.folder}`,
      'parameters',
      workerInputs(db.path, plan, params),
      (message) => (message.type === 'written' ? message.result : undefined),
      // A stopped or failed worker may leave its temporary folder (never the folder itself).
      () => rmSync(partialFolderPath(params.folder), { recursive: true, force: true }),
    );
  }

  /** Stops a running worker aggregation; its aggregate() rejects with CANCELLED. */
  cancel(jobId: string): boolean {
    return this.jobs.cancel(jobId);
  }

  /** Terminates every running aggregation (on shutdown). */
  dispose(): void {
    this.jobs.dispose();
  }

  /** Small aggregations, and databases with no file a worker could reopen, run on this thread. */
  private runsInline(db: DeltascopeDb, plan: AggregatePlan): boolean {
    return aggregationSize(db, plan) < this.threshold || !existsSync(db.path);
  }

  private inWorker<T>(
    requested: string | undefined,
    label: string,
    unit: string,
    input: AggregateWorkerInput,
    result: (message: AggregateWorkerMessage) => T | undefined,
    onExit?: () => void,
  ): Promise<T> {
    const jobId = this.jobs.claim(requested);
    const { emit } = this.options;
    const started = performance.now();
    return runWorkerJob<T, AggregateWorkerMessage>({
      jobId,
      label,
      emit,
      running: this.jobs.running,
      start: () => {
        const worker = startWorker(input);
        if (onExit !== undefined) worker.once('exit', onExit);
        return worker;
      },
      onMessage: (message, job) => {
        if (job.settled()) return;
        if (message.type === 'progress') {
          // A map: one event per tensor (tens to hundreds). A folder: at most one per 200 ms.
          emit('job.progress', jobProgress(jobId, label, unit, started, message.done, message.total));
        } else if (message.type === 'error') {
          job.finish(fromErrorPayload(message.error));
        } else {
          const value = result(message);
          if (value !== undefined) job.finish(null, value);
        }
      },
    });
  }
}
