import { DeltascopeError } from '../../shared/errors';
import { evaluationRecordOf } from '../../shared/evaluation-artifact';
import {
  nodeCost,
  nodeStatuses,
  trainingSpecOfNode,
  type JobNode,
  type NodeOutputs,
  type NodeParams,
} from '../../protocol';
import { openDatabase, type DeltascopeDb } from '../../store';
import type { JobEventSink, JobQueue } from '../job-queue';
import { ProtocolNodeThread } from './protocol-node-thread';
import { completeNode, failNode, loadProtocol, readNodeStates, type StoredProtocol } from './protocol-store';
import { ensureDerivedRun } from './protocol-nodes';

/**
 * Runs a protocol experiment's job graph: training nodes go to the job queue (at most `trainingSlots`
 * at once, each in its own worker), the other nodes (derive, mask, evaluate, analysis) one at a time in
 * the runner's worker thread (protocol-worker.ts), so this process's event loop stays free and stop()
 * ends a running evaluation at once. Every node's outcome is appended to the store, so a new runner on
 * the same experiment skips what is done, resumes interrupted training runs from their last checkpoint,
 * and (on request) retries what failed. Progress of the whole experiment is one `job.progress` stream
 * (unit "nodes"; while a node reports progress, `latest` carries `protocol/node-done` and
 * `protocol/node-total`, e.g. episodes of an evaluation).
 */

/** Context of the runner's own (main-thread) work: the training nodes. */
interface NodeContext {
  db: DeltascopeDb;
  protocol: StoredProtocol;
  outputs: ReadonlyMap<string, NodeOutputs>;
}

/** At most one node-progress event per this many milliseconds. */
const NODE_PROGRESS_INTERVAL_MS = 250;

export interface ProtocolRunnerOptions {
  queue: JobQueue;
  emit?: JobEventSink;
  /** Training jobs this runner keeps in the queue at once; default 2. */
  trainingSlots?: number;
  /**
   * Run nodes whose stored state is `failed` again: all of them (true) or those named (default: leave
   * them, and what depends on them).
   */
  retryFailed?: boolean | ReadonlySet<string>;
  /** Run only these nodes (a cluster task's); the others must be done already or are left alone. */
  onlyNodes?: ReadonlySet<string>;
  /** Called after each node finished (done or failed), e.g. to stop a runner in tests. */
  onNode?: (nodeId: string, status: 'done' | 'failed') => void;
}

export interface ProtocolRunSummary {
  experimentId: number;
  total: number;
  done: number;
  /** Nodes done by this call (the others were done before). */
  doneNow: number;
  failed: { nodeId: string; error: string }[];
  /** Nodes not run because a dependency failed. */
  blocked: number;
  /** True when stop() ended the run early. */
  stopped: boolean;
}

export class ProtocolRunner {
  private stopping = false;
  private readonly trainingJobs = new Map<string, string>();
  private readonly jobId: string;
  private readonly nodes: ProtocolNodeThread;

  constructor(
    private readonly dbPath: string,
    private readonly experimentId: number,
    private readonly options: ProtocolRunnerOptions,
  ) {
    const slots = options.trainingSlots ?? 2;
    if (!Number.isInteger(slots) || slots < 1) {
      throw new DeltascopeError('INVALID_PAYLOAD', `trainingSlots must be a positive integer; got ${slots}`);
    }
    this.jobId = `protocol-${experimentId}`;
    this.nodes = new ProtocolNodeThread({ dbPath, experimentId });
  }

  /**
   * Stops launching nodes, ends a running evaluation or analysis at once (it stores nothing; a rerun
   * does it again) and cancels running training jobs (each writes a last checkpoint).
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.nodes.cancelAll();
    for (const jobId of this.trainingJobs.values()) this.options.queue.cancel(jobId);
  }

  async run(): Promise<ProtocolRunSummary> {
    const db = openDatabase(this.dbPath);
    try {
      return await this.runWith(db);
    } finally {
      // The worker's connection is closed before this one, so this close is the last and folds the
      // WAL back into the file before run() resolves (a caller reopening it at once sees it whole).
      await this.nodes.close();
      db.close();
    }
  }

  private async runWith(db: DeltascopeDb): Promise<ProtocolRunSummary> {
    const protocol = loadProtocol(db, this.experimentId);
    const { graph } = protocol;
    const label = `protocol "${protocol.spec.name}" (experiment #${this.experimentId})`;
    const outputs = new Map<string, NodeOutputs>();
    const failed = new Map<string, string>();
    for (const [nodeId, state] of readNodeStates(db, this.experimentId)) {
      if (state.status === 'done') outputs.set(nodeId, state.outputs);
      else if (!retries(this.options.retryFailed, nodeId)) failed.set(nodeId, state.error ?? 'failed');
    }
    const doneBefore = outputs.size;
    const cost = new Map(graph.nodes.map((node) => [node.id, nodeCost(protocol.spec, node)]));
    const totalCost = [...cost.values()].reduce((a, b) => a + b, 0);
    const work = { before: sumCost(cost, outputs.keys()), now: 0 };
    const running = new Map<string, Promise<void>>();
    const slots = this.options.trainingSlots ?? 2;
    const started = Date.now();
    const ctx: NodeContext = { db, protocol, outputs };
    let lastNodeProgress = -Infinity;
    const onNodeProgress = (progress: { done: number; total: number }): void => {
      const now = Date.now();
      if (now - lastNodeProgress < NODE_PROGRESS_INTERVAL_MS && progress.done < progress.total) return;
      lastNodeProgress = now;
      this.emitProgress(
        label,
        graph.nodes.length,
        outputs.size,
        started,
        running.size,
        failed.size,
        {
          remaining: totalCost - work.before - work.now,
          doneNow: work.now,
          nodesNow: outputs.size - doneBefore,
        },
        progress,
      );
    };
    const trainingIds = new Set(
      graph.nodes.filter((node) => node.params.kind === 'train').map((node) => node.id),
    );
    this.emitState(label, 'running');

    const finish = (node: JobNode, result: NodeOutputs | Error): void => {
      if (result instanceof Error) {
        // A node cut short by stop() is not a failure: the next runner resumes it.
        if (!this.stopping) {
          failed.set(node.id, result.message);
          failNode(db, this.experimentId, node.id, result.message);
          this.options.onNode?.(node.id, 'failed');
        }
      } else {
        outputs.set(node.id, result);
        work.now += cost.get(node.id) ?? 0;
        this.options.onNode?.(node.id, 'done');
      }
      this.emitProgress(label, graph.nodes.length, outputs.size, started, running.size, failed.size, {
        remaining: totalCost - work.before - work.now,
        doneNow: work.now,
        nodesNow: outputs.size - doneBefore,
      });
    };
    const launch = (node: JobNode): void => {
      const work = this.execute(ctx, node, onNodeProgress).then(
        (result) => finish(node, result),
        (error: unknown) => finish(node, error instanceof Error ? error : new Error(String(error))),
      );
      running.set(
        node.id,
        work.finally(() => running.delete(node.id)),
      );
    };

    this.emitProgress(label, graph.nodes.length, outputs.size, started, 0, failed.size, {
      remaining: totalCost - work.before,
      doneNow: 0,
      nodesNow: 0,
    });
    for (;;) {
      if (!this.stopping) {
        const status = nodeStatuses(
          graph,
          new Set(outputs.keys()),
          new Set(failed.keys()),
          new Set(running.keys()),
        );
        const only = this.options.onlyNodes;
        const ready = graph.nodes.filter(
          (node) => status.get(node.id) === 'ready' && (only === undefined || only.has(node.id)),
        );
        let trainingRunning = [...running.keys()].filter((id) => trainingIds.has(id)).length;
        let localRunning = running.size - trainingRunning;
        for (const node of ready) {
          if (node.params.kind === 'train') {
            if (trainingRunning >= slots) continue;
            trainingRunning += 1;
          } else {
            if (localRunning >= 1) continue;
            localRunning += 1;
          }
          launch(node);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }

    const status = nodeStatuses(graph, new Set(outputs.keys()), new Set(failed.keys()), new Set());
    const blocked = [...status.values()].filter((s) => s === 'blocked').length;
    const complete = outputs.size === graph.nodes.length;
    // Listeners hearing the final state may reopen the file: the worker's connection is closed first.
    await this.nodes.close();
    this.emitState(
      label,
      complete ? 'done' : this.stopping ? 'cancelled' : 'failed',
      complete
        ? undefined
        : `${outputs.size}/${graph.nodes.length} nodes done, ${failed.size} failed, ${blocked} blocked`,
    );
    return {
      experimentId: this.experimentId,
      total: graph.nodes.length,
      done: outputs.size,
      doneNow: outputs.size - doneBefore,
      failed: [...failed].map(([nodeId, error]) => ({ nodeId, error })),
      blocked,
      stopped: this.stopping,
    };
  }

  private async execute(
    ctx: NodeContext,
    node: JobNode,
    onProgress: (progress: { done: number; total: number }) => void,
  ): Promise<NodeOutputs> {
    const params: NodeParams = node.params;
    if (params.kind === 'train') return this.runTraining(ctx, node, params);
    return this.nodes.run(node.id, ctx.outputs, onProgress).result;
  }

  /** A training node: its run is named by the node id, so a rerun finds and continues it. */
  private async runTraining(
    ctx: NodeContext,
    node: JobNode,
    params: Extract<NodeParams, { kind: 'train' }>,
  ): Promise<NodeOutputs> {
    const { db, protocol } = ctx;
    const existing = db.runs.listByExperiment(protocol.experimentId).find((run) => run.name === node.id);
    let runId: number;
    if (existing?.status !== 'done') {
      const output = (id: string | null): number | null =>
        id === null ? null : (ctx.outputs.get(id)?.checkpointId ?? null);
      const artifact = (id: string | null): number | null =>
        id === null ? null : (ctx.outputs.get(id)?.artifactId ?? null);
      const started =
        existing === undefined
          ? this.options.queue.startTraining(
              db,
              trainingSpecOfNode(protocol.spec, protocol.graph, node, {
                initCheckpointId: output(params.initFrom),
                maskArtifactId: artifact(params.maskFrom),
                criterionReference:
                  params.criterion === undefined
                    ? null
                    : criterionReference(db, protocol.spec.ra.name, artifact(params.criterion.referenceEval)),
              }),
            )
          : this.options.queue.resume(db, existing.id);
      this.trainingJobs.set(node.id, started.jobId);
      if (this.stopping) this.options.queue.cancel(started.jobId);
      const info = await this.options.queue
        .wait(started.jobId)
        .finally(() => this.trainingJobs.delete(node.id));
      if (info.state !== 'done') {
        throw new DeltascopeError(
          'JOB_FAILED',
          `training run #${started.runId} (${node.id}) ${info.state}: ${info.message ?? ''}`.trim(),
        );
      }
      runId = started.runId;
    } else {
      runId = existing.id;
    }
    const last = db.checkpoints.latestForRun(runId);
    if (last === null)
      throw new DeltascopeError('JOB_FAILED', `training run #${runId} (${node.id}) wrote no checkpoint`);
    return completeNode(db, protocol.experimentId, node.id, () => {
      const derives = protocol.graph.nodes.some(
        (n) => n.params.kind === 'derive' && n.seed === node.seed && n.params.base === node.id,
      );
      if (derives) ensureDerivedRun(db, protocol.experimentId, node.seed, last.id);
      return { runId, checkpointId: last.id };
    });
  }

  /** `work`: node costs (protocol nodeCost) left and done in this session, and nodes done in it; ETA = cost left / cost rate. */
  private emitProgress(
    label: string,
    total: number,
    done: number,
    started: number,
    running: number,
    failed: number,
    work: { remaining: number; doneNow: number; nodesNow: number },
    node?: { done: number; total: number },
  ): void {
    const seconds = (Date.now() - started) / 1000;
    const workRate = work.doneNow > 0 && seconds > 0 ? work.doneNow / seconds : null;
    this.options.emit?.('job.progress', {
      jobId: this.jobId,
      label,
      done,
      total,
      unit: 'nodes',
      ratePerSecond: seconds > 0 && work.nodesNow > 0 ? work.nodesNow / seconds : null,
      etaSeconds: workRate === null ? null : work.remaining / workRate,
      latest: {
        'protocol/running': running,
        'protocol/failed': failed,
        ...(node === undefined ? {} : { 'protocol/node-done': node.done, 'protocol/node-total': node.total }),
      },
    });
  }

  private emitState(
    label: string,
    state: 'running' | 'done' | 'failed' | 'cancelled',
    message?: string,
  ): void {
    this.options.emit?.('job.state', {
      jobId: this.jobId,
      label,
      state,
      ...(message === undefined ? {} : { message }),
    });
  }
}

/** RA success of the stored evaluation `artifactId` (the reference of a recovery to criterion). */
function criterionReference(db: DeltascopeDb, ra: string, artifactId: number | null): number {
  if (artifactId === null)
    throw new DeltascopeError('INTERNAL', 'recovery to criterion: its reference is not evaluated');
  const reward = evaluationRecordOf(db.artifacts.get(artifactId)).result.rewards.find((r) => r.name === ra);
  if (reward === undefined)
    throw new DeltascopeError(
      'INVALID_SPEC',
      `recovery to criterion: evaluation ${artifactId} has no reward "${ra}"`,
    );
  return reward.success.estimate;
}

function sumCost(cost: ReadonlyMap<string, number>, ids: Iterable<string>): number {
  let sum = 0;
  for (const id of ids) sum += cost.get(id) ?? 0;
  return sum;
}

export type { StoredProtocol };

/** Whether a failed node is run again under the runner's `retryFailed` option. */
function retries(retryFailed: boolean | ReadonlySet<string> | undefined, nodeId: string): boolean {
  return typeof retryFailed === 'boolean' || retryFailed === undefined
    ? retryFailed === true
    : retryFailed.has(nodeId);
}
