import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { planTasks } from '../../cluster/plan';
import { projectWallTime } from '../../cluster/projection';
import type { JobQueue } from '../../jobs';
import { buildJobGraph, nodeCost, trainingSpecOfNode, type JobGraph } from '../../protocol';
import { METRIC_KEYS, type ProtocolEstimate } from '../../shared';
import type { ExperimentSpec } from '../../shared/experiment-spec';
import { createDatabase } from '../../store';

/**
 * Wall-time estimates of a protocol: training throughput (env steps/s of one PPO job) is measured on
 * this machine by a short training burst in a throwaway database — through the session's job queue, so
 * in a worker process like the real runs — and cached per (env, net, PPO) shape in memory and in
 * `<appData>/throughput-cache.json`. The estimate then costs every node in env-step equivalents
 * (protocol nodeCost: training = its steps, evaluation = episodes × horizon / 4, others one batch).
 */

/**
 * Scheduling seconds per cluster task: submit-to-start (0.65 s) plus process start-up (0.50 s),
 * measured on the one-node Slurm of scripts/slurm-local.sh (`npm run bench:cluster -- --measure-slurm`).
 */
export const CLUSTER_TASK_OVERHEAD_SECONDS = 1.15;

/** PPO iterations of the measuring burst; the rate is the run's own `charts/steps_per_second`, so worker start-up is not counted. */
const BURST_ITERATIONS = 3;

/** A measured training throughput: env steps/s while training, and seconds per run spent outside it (worker start, tfjs load, checkpoints). */
export interface Throughput {
  stepsPerSecond: number;
  overheadSeconds: number;
}

export interface ThroughputCache {
  get(key: string): Throughput | undefined;
  set(key: string, value: Throughput): void;
}

/** Memory + JSON-file cache of measured steps/s, keyed by the spec's shape. */
export function fileThroughputCache(file: string): ThroughputCache {
  const memory = new Map<string, Throughput>();
  const load = (): Record<string, Partial<Throughput>> => {
    try {
      const parsed: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
      return parsed !== null && typeof parsed === 'object'
        ? (parsed as Record<string, Partial<Throughput>>)
        : {};
    } catch {
      return {};
    }
  };
  return {
    get: (key) => {
      const value = memory.get(key) ?? load()[key];
      return typeof value?.stepsPerSecond === 'number' &&
        value.stepsPerSecond > 0 &&
        typeof value.overheadSeconds === 'number'
        ? { stepsPerSecond: value.stepsPerSecond, overheadSeconds: value.overheadSeconds }
        : undefined;
    },
    set: (key, value) => {
      memory.set(key, value);
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify({ ...load(), [key]: value }, null, 1));
      } catch {
        // An unwritable app-data folder only costs a re-measurement next session.
      }
    },
  };
}

/** What throughput depends on: the env's size and kinds, the network and the PPO shape. */
export function throughputKey(spec: ExperimentSpec): string {
  return JSON.stringify({
    size: spec.env.size,
    kinds: spec.env.kinds,
    horizon: spec.env.horizon,
    net: spec.net,
    ppo: spec.ppo,
  });
}

/** Trains the experiment's pretrain node for a few iterations in a temp database; steps/s and per-run overhead. */
export async function measureThroughput(queue: JobQueue, spec: ExperimentSpec): Promise<Throughput | null> {
  const graph = buildJobGraph({ ...spec, seeds: 1 });
  const pretrain = graph.nodes.find((n) => n.params.kind === 'train' && n.params.role === 'pretrain');
  if (pretrain === undefined) return null;
  const batch = spec.ppo.numEnvs * spec.ppo.numSteps;
  const dir = mkdtempSync(join(tmpdir(), 'deltascope-throughput-'));
  try {
    const db = createDatabase(join(dir, 'burst.deltascope'));
    try {
      const training = {
        ...trainingSpecOfNode(spec, graph, pretrain, { initCheckpointId: null, maskArtifactId: null }),
        experiment: 'throughput-burst',
        totalSteps: BURST_ITERATIONS * batch,
        checkpointEvery: BURST_ITERATIONS * batch,
      };
      const t0 = Date.now();
      const started = queue.startTraining(db, training);
      const info = await queue.wait(started.jobId);
      const wall = (Date.now() - t0) / 1000;
      if (info.state !== 'done') return null;
      const series = db.metrics.series(started.runId, METRIC_KEYS.stepsPerSecond);
      const last = series.values.at(-1);
      const rate = last !== undefined && last > 0 ? last : info.ratePerSecond;
      if (rate === null || !(rate > 0)) return null;
      return { stepsPerSecond: rate, overheadSeconds: Math.max(0, wall - training.totalSteps / rate) };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * seconds = max(critical path, total / parallel) / rate + runs × overhead / parallel, where the critical
 * path is one chain pretrain → fine-tune → recovery (+ localization), total is Σ nodeCost over the graph
 * and overhead the measured seconds per run outside training (worker start, tfjs load, checkpoints).
 */
export function estimateProtocol(
  spec: ExperimentSpec,
  graph: JobGraph,
  throughput: Throughput | null,
  parallelRuns: number,
  parallelTasks = 8,
): ProtocolEstimate {
  let runs = 0;
  let trainingSteps = 0;
  let evaluationEpisodes = 0;
  let cost = 0;
  for (const node of graph.nodes) {
    cost += nodeCost(spec, node);
    if (node.params.kind === 'train') {
      trainingSteps += node.params.steps;
      runs += 1;
    }
    if (node.params.kind === 'evaluate') evaluationEpisodes += spec.evalEpisodes;
  }
  const chain =
    spec.pretrainSteps +
    spec.finetuneSteps +
    spec.recoverySteps +
    (spec.localization === null ? 0 : spec.localization.steps);
  if (throughput === null) {
    return {
      trainingSteps,
      evaluationEpisodes,
      stepsPerSecond: null,
      parallelRuns,
      seconds: null,
      basis: 'No throughput measurement: the estimate needs a short training burst on this machine.',
      cluster: null,
    };
  }
  const { stepsPerSecond, overheadSeconds } = throughput;
  const seconds =
    Math.max(chain, cost / parallelRuns) / stepsPerSecond + (runs * overheadSeconds) / parallelRuns;
  return {
    trainingSteps,
    evaluationEpisodes,
    stepsPerSecond,
    parallelRuns,
    seconds,
    cluster: projectOnCluster(spec, graph, throughput, parallelTasks),
    basis:
      `${Math.round(stepsPerSecond)} env steps/s per training job and ${overheadSeconds.toFixed(1)} s of start-up ` +
      `per run, measured by a ${BURST_ITERATIONS}-iteration PPO burst of this net and PPO shape on this machine; ` +
      `${parallelRuns} job(s) at once; evaluations costed at episodes × horizon / 4 steps. Parallel jobs ` +
      `sharing few cores run slower, so treat it as a lower bound.`,
  };
}

/**
 * The plan's tasks (cluster/plan.ts) on `parallelTasks` nodes, each task taking its cost at the
 * measured rate, plus the per-run overhead when it trains, plus the scheduling overhead per task.
 */
export function projectOnCluster(
  spec: ExperimentSpec,
  graph: JobGraph,
  throughput: Throughput,
  parallelTasks: number,
): NonNullable<ProtocolEstimate['cluster']> {
  const plan = planTasks(spec, graph);
  const trains = new Set(graph.nodes.filter((n) => n.params.kind === 'train').map((n) => n.id));
  const seconds = plan.tasks.map(
    (task) =>
      task.cost / throughput.stepsPerSecond + (trains.has(task.nodes[0]!) ? throughput.overheadSeconds : 0),
  );
  // `run --on slurm` submits one job array per stage, chained with afterok: a stage waits for the
  // whole stage before it, not only for the tasks it reads from.
  const projection = projectWallTime(plan, seconds, parallelTasks, CLUSTER_TASK_OVERHEAD_SECONDS, 'stages');
  return {
    parallelTasks,
    tasks: plan.tasks.length,
    stages: plan.stages.length,
    wallSeconds: projection.wallSeconds,
    criticalPathSeconds: projection.criticalPathSeconds,
    overheadSecondsPerTask: CLUSTER_TASK_OVERHEAD_SECONDS,
  };
}
