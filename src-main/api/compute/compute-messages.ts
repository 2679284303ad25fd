import type { z } from 'zod';
import type { methods } from '../../shared';
import type { evaluationMethods } from '../../shared/contract-evaluation';
import type { CheckpointRef } from '../../shared/contract-weights';
import type { CompareInput } from '../weights/weights-compare';
import type { CombineParams, RandomDirectionParams } from '../weights/weights-derive';
import type { HeatmapTask, SideSpec } from '../weights/weights-heatmap-task';

/**
 * What the API's compute worker thread (compute-worker.ts) is asked to do; each with a `dbPath` opens
 * that database itself; the cluster ones read a work folder (and merge into a file of their own); a
 * heatmap task opens its two sides from their specs (weights/weights-heatmap-task.ts).
 */
export type ComputeRequest =
  | {
      kind: 'eval.run';
      dbPath: string;
      params: z.output<(typeof evaluationMethods)['eval.run']['request']>;
    }
  | {
      kind: 'episodes.visitation';
      dbPath: string;
      params: z.output<(typeof evaluationMethods)['episodes.visitation']['request']>;
    }
  | {
      kind: 'episodes.scan';
      dbPath: string;
      params: z.output<(typeof evaluationMethods)['episodes.scan']['request']>;
    }
  | { kind: 'protocol.report'; dbPath: string; experimentId: number }
  | {
      kind: 'protocol.knownAnswerChecks';
      dbPath: string;
      params: z.output<(typeof methods)['protocol.knownAnswerChecks']['request']>;
    }
  | {
      kind: 'protocol.exportReport';
      dbPath: string;
      params: z.output<(typeof methods)['protocol.exportReport']['request']>;
    }
  | { kind: 'heatmap'; a: SideSpec; b: SideSpec; task: HeatmapTask }
  | { kind: 'weights.read'; dbPath: string | null; ref: CheckpointRef }
  | { kind: 'diff.compareMany'; base: CompareInput; others: CompareInput[]; partial: boolean }
  | { kind: 'weights.combine'; dbPath: string; params: CombineParams }
  | { kind: 'weights.randomDirection'; dbPath: string; params: RandomDirectionParams }
  | {
      kind: 'weights.import';
      dbPath: string;
      params: z.output<(typeof methods)['weights.import']['request']>;
    }
  | {
      kind: 'weights.export';
      dbPath: string;
      params: z.output<(typeof methods)['weights.export']['request']>;
    }
  | { kind: 'rewards.similarity'; params: z.output<(typeof methods)['rewards.similarity']['request']> }
  | { kind: 'cluster.status'; workdir: string }
  | { kind: 'cluster.merge'; workdir: string; into: string };
