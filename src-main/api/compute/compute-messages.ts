import type { z } from 'zod';
import type { methods } from '../../shared';
import type { evaluationMethods } from '../../shared/contract-evaluation';

/**
 * What the API's compute worker thread (compute-worker.ts) is asked to do; each with a `dbPath` opens
 * that database itself; the cluster ones read a work folder (and merge into a file of their own).
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
  | { kind: 'cluster.status'; workdir: string }
  | { kind: 'cluster.merge'; workdir: string; into: string };
