import type { Worker } from 'node:worker_threads';
import type { DiffComputeResult, TensorDiffPayload } from '../../shared/contract-weights';
import { fromErrorPayload } from '../../shared/errors';
import {
  DEFAULT_MEMORY_BUDGET_BYTES,
  diffSources,
  matchSources,
  matrixShape,
  mismatchError,
  sourceTensors,
  type DeltaStats,
  type TensorDiff,
} from '../../weights';
import type { DiffWorkerInput, DiffWorkerMessage } from './weights-diff-messages';
import { startWorkerThread } from '../../jobs/task-thread';
import { jobProgress, runWorkerJob, WorkerJobs, type Emit } from './worker-job';
import type { StreamSide } from './weights-sources';

/**
 * diff.compute: statistics of Δ = B − A, streamed tensor by tensor and chunk by chunk (model files
 * and folders are never read whole, so memory stays within `memoryBudgetBytes` plus what the
 * sides already hold). Diffs of at least `workerThreshold` parameters run in a worker thread (the
 * main process's event loop keeps serving tiles, IPC and menus) and report `job.progress`;
 * smaller ones run inline, where a thread would cost more than the diff.
 */

/** Parameters from which a diff moves to a worker thread. */
export const DEFAULT_DIFF_WORKER_THRESHOLD = 2_000_000;
/** At most one progress event per this many milliseconds (plus the last one). */
const PROGRESS_INTERVAL_MS = 100;

export type { Emit } from './worker-job';

export interface DiffRequest {
  epsilon: number;
  partial: boolean;
  bins: number;
  jobId?: string | undefined;
}

export interface DiffRunnerOptions {
  emit: Emit;
  workerThreshold?: number;
  /** Bytes a diff may hold for its chunks (default 1 GiB). */
  memoryBudgetBytes?: number;
}

function startWorker(input: DiffWorkerInput): Worker {
  return startWorkerThread('diff-worker.cjs', 'api/weights/weights-diff-worker.ts', 'diff', input);
}

/** Per-tensor rows of the result: layout of the tensor's heatmap and its share of ‖Δ‖². */
function tensorRows(tensors: readonly TensorDiff[], model: DeltaStats): TensorDiffPayload[] {
  const total = model.l2 * model.l2;
  return tensors.map((t) => {
    const { rows, cols, layout } = matrixShape(t.shape);
    return {
      name: t.name,
      shape: t.shape,
      layout,
      matrixRows: rows,
      matrixCols: cols,
      stats: t.stats,
      shareOfChange: total === 0 ? null : (t.stats.l2 * t.stats.l2) / total,
    };
  });
}

/** Runs diffs inline or in worker threads; keeps the running ones so they can be cancelled. */
export class DiffRunner {
  private readonly jobs = new WorkerJobs('diff', 'A diff');
  private readonly threshold: number;
  private readonly budget: number;

  constructor(private readonly options: DiffRunnerOptions) {
    this.threshold = options.workerThreshold ?? DEFAULT_DIFF_WORKER_THRESHOLD;
    this.budget = options.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
  }

  /** Diffs two sides and closes their sources. */
  async compute(a: StreamSide, b: StreamSide, request: DiffRequest): Promise<DiffComputeResult> {
    try {
      return await this.computeOpen(a, b, request);
    } finally {
      a.source.close();
      b.source.close();
    }
  }

  private async computeOpen(a: StreamSide, b: StreamSide, request: DiffRequest): Promise<DiffComputeResult> {
    const started = performance.now();
    const labels: [string, string] = [a.side.label, b.side.label];
    const { common, mismatches } = matchSources(a.source, b.source);
    if (mismatches.length > 0 && !request.partial) throw mismatchError(mismatches, labels);
    const tensorsA = sourceTensors(a.source);
    const params = common.reduce((sum, name) => sum + tensorsA.get(name)!.count, 0);
    const options = { epsilon: request.epsilon, bins: request.bins };
    let jobId: string | null = null;
    let tensors: TensorDiff[];
    let model: DeltaStats;
    if (params < this.threshold) {
      ({ tensors, model } = diffSources(a.source, b.source, {
        ...options,
        partial: true,
        memoryBudgetBytes: this.budget,
      }));
    } else {
      jobId = this.jobs.claim(request.jobId);
      ({ tensors, model } = await this.inWorker(jobId, `Diff ${labels[0]} → ${labels[1]}`, {
        a: a.spec,
        b: b.spec,
        partial: true,
        options,
        memoryBudgetBytes: this.budget,
      }));
    }
    return {
      a: a.side,
      b: b.side,
      tensors: tensorRows(tensors, model),
      model,
      skipped: mismatches,
      jobId,
      elapsedMs: performance.now() - started,
    };
  }

  /** Stops a running worker diff; its compute() rejects with CANCELLED. */
  cancel(jobId: string): boolean {
    return this.jobs.cancel(jobId);
  }

  /** Terminates every running diff (on shutdown). */
  dispose(): void {
    this.jobs.dispose();
  }

  private inWorker(
    jobId: string,
    label: string,
    input: DiffWorkerInput,
  ): Promise<{ tensors: TensorDiff[]; model: DeltaStats }> {
    const { emit } = this.options;
    const started = performance.now();
    let lastProgress = -Infinity;
    return runWorkerJob<{ tensors: TensorDiff[]; model: DeltaStats }, DiffWorkerMessage>({
      jobId,
      label,
      emit,
      running: this.jobs.running,
      start: () => startWorker(input),
      onMessage: (message, job) => {
        if (message.type === 'progress') {
          const now = performance.now();
          if (now - lastProgress < PROGRESS_INTERVAL_MS && message.done < message.total) return;
          lastProgress = now;
          emit('job.progress', jobProgress(jobId, label, 'params', started, message.done, message.total));
        } else if (message.type === 'done') {
          job.finish(null, { tensors: message.tensors, model: message.model });
        } else {
          job.finish(fromErrorPayload(message.error));
        }
      },
    });
  }
}
