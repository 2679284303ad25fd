import { existsSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { RelevanceMapSummary } from '../../shared/contract-weights';
import { DeltascopeError, fromErrorPayload } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import {
  aggregateCheckpoints,
  aggregationSize,
  planAggregation,
  storeAggregation,
  type AggregateOutput,
  type AggregateParams,
} from './weights-aggregate';
import type { AggregateWorkerInput, AggregateWorkerMessage } from './weights-aggregate-messages';
import { startWorkerThread } from '../../jobs/task-thread';
import { jobProgress, runWorkerJob, type Emit } from './worker-job';

/**
 * weights.aggregate off the main event loop: aggregations of at least `workerThreshold` parameters
 * are folded in a worker thread that reads the database through its own connection and reports
 * `job.progress` (tensors done / total, with ETA); the main side then stores the map in one write.
 * Smaller ones, and databases with no file to reopen, run inline. A running one stops on
 * `cancel(jobId)` (the handler wires diff.cancel to it): the call fails with CANCELLED and no
 * artifact is written.
 */

/** Parameters from which an aggregation moves to a worker thread. */
export const DEFAULT_AGGREGATE_WORKER_THRESHOLD = 2_000_000;

export interface AggregateRequest extends AggregateParams {
  jobId?: string | undefined;
}

export interface AggregateRunnerOptions {
  emit: Emit;
  workerThreshold?: number;
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
  private readonly running = new Map<string, () => void>();
  private sequence = 0;
  private readonly threshold: number;

  constructor(private readonly options: AggregateRunnerOptions) {
    this.threshold = options.workerThreshold ?? DEFAULT_AGGREGATE_WORKER_THRESHOLD;
  }

  async aggregate(db: DeltascopeDb, request: AggregateRequest): Promise<RelevanceMapSummary> {
    const { jobId: requested, ...params } = request;
    const plan = planAggregation(db, params);
    if (aggregationSize(db, plan) < this.threshold || !existsSync(db.path)) {
      return aggregateCheckpoints(db, params);
    }
    const jobId = requested ?? `aggregate-${++this.sequence}`;
    const label = `Aggregate ${params.aggregator.kind} of ${params.deltas.length} delta${params.deltas.length === 1 ? '' : 's'} over #${params.base}`;
    const outputs = await this.inWorker(jobId, label, {
      databasePath: db.path,
      base: params.base,
      deltas: params.deltas,
      nullDelta: params.nullDelta,
      spec: plan.spec,
      names: plan.names,
    });
    return storeAggregation(db, plan, outputs);
  }

  /** Stops a running worker aggregation; its aggregate() rejects with CANCELLED. */
  cancel(jobId: string): boolean {
    const stop = this.running.get(jobId);
    if (stop === undefined) return false;
    stop();
    return true;
  }

  /** Terminates every running aggregation (on shutdown). */
  dispose(): void {
    for (const stop of [...this.running.values()]) stop();
  }

  private inWorker(jobId: string, label: string, input: AggregateWorkerInput): Promise<AggregateOutput[]> {
    if (this.running.has(jobId)) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `An aggregation with job id "${jobId}" is already running.`,
      );
    }
    const { emit } = this.options;
    const started = performance.now();
    return runWorkerJob<AggregateOutput[], AggregateWorkerMessage>({
      jobId,
      label,
      emit,
      running: this.running,
      start: () => startWorker(input),
      onMessage: (message, job) => {
        if (job.settled()) return;
        if (message.type === 'progress') {
          // One event per tensor: tensors are few (tens to hundreds), unlike a diff's chunks.
          emit('job.progress', jobProgress(jobId, label, 'tensors', started, message.done, message.total));
        } else if (message.type === 'done') {
          job.finish(null, message.outputs);
        } else {
          job.finish(fromErrorPayload(message.error));
        }
      },
    });
  }
}
