import type { z } from 'zod';
import { deriveSeed } from '../shared/random';
import { DeltascopeError } from '../shared/errors';
import { effectiveRbReward, negatedRbReward, type ExperimentSpec } from '../shared/experiment-spec';
import {
  JOB_GRAPH_FORMAT,
  type AnalysisKindSchema,
  DeriveVariantSchema,
  type JobGraphSchema,
  type JobNodeSchema,
  MaskSelectionSchema,
  type NodeParamsSchema,
  type TrainRoleSchema,
} from '../shared/protocol-artifacts';

/**
 * The objective-isolation protocol as a job graph, per seed s:
 *   pretrain MA on RA → [mask (known-answer only)] → fine-tune MBᵢ on each RBᵢ and null controls on RA
 *   → derived checkpoints MA − α·Δᵢ, MA + α·Δᵢ and the controls MA − α·cᵢ, cᵢ norm-matched to Δᵢ per
 *     tensor (random over the movable parameters, Δ_null, Δ_other); [MA fine-tuned on −RBᵢ, the positive control]
 *   → recovery on RA of each derived checkpoint and of MA (to criterion: until RA success is within a
 *     margin of the recovered control's) → evaluations → analyses;
 * with a localization test, the superposition map then gives top/random/bottom-k % masks, MA is
 * fine-tuned on the held-out RB_new under each mask and fully, and the localization analysis compares them.
 * Pure data: ids are stable strings (`s1/finetune/coin`), so a stored graph and a freshly built one
 * name the same nodes, and a runner can resume by id.
 */

export { JOB_GRAPH_FORMAT };

// The graph is stored as the "protocol-graph" artifact; its types come from the one schema.
export type DeriveVariant = z.output<typeof DeriveVariantSchema>;
export const DERIVE_VARIANTS: readonly DeriveVariant[] = DeriveVariantSchema.options;

export type TrainRole = z.output<typeof TrainRoleSchema>;
export type AnalysisKind = z.output<typeof AnalysisKindSchema>;
export type MaskSelection = z.output<typeof MaskSelectionSchema>;
export const MASK_SELECTIONS: readonly MaskSelection[] = MaskSelectionSchema.options;

export type NodeParams = z.output<typeof NodeParamsSchema>;
export type NodeKind = NodeParams['kind'];
export type JobNode = z.output<typeof JobNodeSchema>;
export type JobGraph = z.output<typeof JobGraphSchema>;

/** Stable node ids. */
export const nodeIds = {
  pretrain: (s: number) => `s${s}/pretrain`,
  mask: (s: number) => `s${s}/mask`,
  finetune: (s: number, rb: string) => `s${s}/finetune/${rb}`,
  null: (s: number, k: number) => `s${s}/null/${k}`,
  positive: (s: number, rb: string) => `s${s}/positive/${rb}`,
  derive: (s: number, rb: string, variant: DeriveVariant, alpha: number) =>
    `s${s}/derive/${rb}/${variant}/${alpha}`,
  recover: (target: string) => `${target}/recover`,
  recoverControl: (s: number) => `s${s}/control/recover`,
  evaluate: (target: string) => `${target}/eval`,
  analysis: (s: number, kind: AnalysisKind) => `s${s}/analysis/${kind}`,
  /** Random draw m ≥ 1 of k appends `/m` (draw 0 keeps the id graphs had before M draws). */
  relevanceMask: (s: number, selection: MaskSelection, k: number, draw = 0) =>
    `s${s}/localize/mask/${selection}/${k}${draw === 0 ? '' : `/${draw}`}`,
  localize: (s: number, selection: MaskSelection, k: number, draw = 0) =>
    `s${s}/localize/${selection}/${k}${draw === 0 ? '' : `/${draw}`}`,
  localizeFull: (s: number) => `s${s}/localize/full`,
};

/**
 * The recovery node of derived point `deriveId` of seed s at `alpha`: its own, except at α = 0, where
 * every variant is MA itself and its recovery would be exactly the control's (same weights, seed and
 * budget), so the control's serves.
 */
export function recoveryOfDerived(s: number, deriveId: string, alpha: number): string {
  return alpha === 0 ? nodeIds.recoverControl(s) : nodeIds.recover(deriveId);
}

/**
 * The derive variants of a spec: negate, add and random always; null (−Δ_null) with a null control;
 * other (−Δ_other) with a second RB.
 */
export function deriveVariantsOf(spec: ExperimentSpec): DeriveVariant[] {
  return DERIVE_VARIANTS.filter(
    (v) => (v !== 'null' || spec.nullControls > 0) && (v !== 'other' || spec.rbs.length > 1),
  );
}

/** The RB whose delta is RBᵢ's −Δ_other control: the next RB of the spec, cyclically. */
export function otherRbIndex(rbIndex: number, rbCount: number): number {
  return (rbIndex + 1) % rbCount;
}

/** Seed of the positive control (MA fine-tuned on −RBᵢ) of RB index i in replication seed s. */
export function positiveControlSeed(s: number, rbIndex: number): number {
  return deriveSeed(s, POSITIVE_CONTROL_STREAM + rbIndex);
}

/** Seed of null control k of replication seed s: far from every other seed of the experiment. */
export function nullControlSeed(s: number, k: number): number {
  return (s + 7919 * (k + 1)) % 2 ** 31;
}

/** Stream ids of a replication's random draws (shared/random deriveSeed of the replication seed). */
const RANDOM_DIRECTION_STREAM = 0x0d1e_0000;
const RANDOM_MASK_STREAM = 0x3a5c_0000;
const POSITIVE_CONTROL_STREAM = 0x9c0e_0000;

/**
 * Seed of the random-direction control rᵢ of RB index i in replication seed s (s = seedBase + r, so
 * every draw derives from the experiment's recorded seedBase): a hashed stream per (s, i), so no two
 * replications or RBs share a direction.
 */
export function randomDirectionSeed(s: number, rbIndex: number): number {
  return deriveSeed(s, RANDOM_DIRECTION_STREAM + rbIndex);
}

/**
 * Seed of random k % localization mask `draw` of replication seed s: its own stream per (s, k), and per
 * draw m ≥ 1 a stream of that (draw 0 is the seed graphs had before M draws).
 */
export function randomMaskSeed(s: number, kPercent: number, draw = 0): number {
  const first = deriveSeed(s, RANDOM_MASK_STREAM + Math.round(kPercent * 1000));
  return draw === 0 ? first : deriveSeed(first, draw);
}

/** The masks of one k: top/bottom of the map, M random draws, and the baselines (null-drift needs a null control). */
export function maskDraws(spec: ExperimentSpec): { selection: MaskSelection; draw: number }[] {
  const loc = spec.localization;
  if (loc === null) return [];
  const out: { selection: MaskSelection; draw: number }[] = [];
  for (const selection of MASK_SELECTIONS) {
    if (selection === 'null-drift' && spec.nullControls === 0) continue;
    const draws = selection === 'random' ? loc.randomMasks : 1;
    for (let draw = 0; draw < draws; draw++) out.push({ selection, draw });
  }
  return out;
}

/** Builds every node of the experiment, in an order where each node follows its deps. */
export function buildJobGraph(spec: ExperimentSpec): JobGraph {
  const nodes: JobNode[] = [];
  const add = (node: JobNode): string => {
    nodes.push(node);
    return node.id;
  };
  const evaluate = (s: number, target: string): string =>
    add({ id: nodeIds.evaluate(target), seed: s, deps: [target], params: { kind: 'evaluate', target } });
  const ra = spec.ra.name;
  const train = (
    s: number,
    id: string,
    deps: string[],
    params: Omit<Extract<NodeParams, { kind: 'train' }>, 'kind'>,
  ): string => add({ id, seed: s, deps, params: { kind: 'train', ...params } });

  for (let r = 0; r < spec.seeds; r++) {
    const s = spec.seedBase + r;
    const pretrain = train(s, nodeIds.pretrain(s), [], {
      role: 'pretrain',
      trainReward: ra,
      steps: spec.pretrainSteps,
      seed: s,
      initFrom: null,
      maskFrom: null,
      subject: null,
    });
    const mask =
      spec.knownAnswer === null
        ? null
        : add({
            id: nodeIds.mask(s),
            seed: s,
            deps: [pretrain],
            params: { kind: 'mask', from: pretrain, tensor: spec.knownAnswer.tensor },
          });
    const fineDeps = mask === null ? [pretrain] : [pretrain, mask];
    const evals: string[] = [evaluate(s, pretrain)];
    const finetunes = spec.rbs.map((rb) => {
      const id = train(s, nodeIds.finetune(s, rb.name), fineDeps, {
        role: 'finetune',
        trainReward: rb.name,
        steps: spec.finetuneSteps,
        seed: s,
        initFrom: pretrain,
        maskFrom: mask,
        subject: rb.name,
      });
      evals.push(evaluate(s, id));
      return id;
    });
    const nulls = Array.from({ length: spec.nullControls }, (_, k) => {
      const id = train(s, nodeIds.null(s, k), fineDeps, {
        role: 'null',
        trainReward: ra,
        steps: spec.finetuneSteps,
        seed: nullControlSeed(s, k),
        initFrom: pretrain,
        maskFrom: mask,
        subject: null,
      });
      evals.push(evaluate(s, id));
      return id;
    });
    const recoverEvals: string[] = [];
    // With a criterion, every derived (and positive-control) recovery trains until its RA success is
    // within the margin of the recovered control's, so it depends on the control's evaluation.
    const criterion = spec.recoveryCriterion;
    const controlEval = nodeIds.evaluate(nodeIds.recoverControl(s));
    const recover = (target: string, id: string, toCriterion: boolean): void => {
      const withCriterion = toCriterion && criterion !== null;
      const recovered = train(s, id, withCriterion ? [target, controlEval] : [target], {
        role: 'recover',
        trainReward: ra,
        steps: withCriterion ? criterion.maxSteps : spec.recoverySteps,
        seed: s,
        initFrom: target,
        maskFrom: null,
        subject: target,
        ...(withCriterion
          ? {
              criterion: {
                referenceEval: controlEval,
                margin: criterion.margin,
                checkEvery: criterion.checkEvery,
                episodes: criterion.episodes,
              },
            }
          : {}),
      });
      recoverEvals.push(evaluate(s, recovered));
    };
    recover(pretrain, nodeIds.recoverControl(s), false);
    const variants = deriveVariantsOf(spec);
    spec.rbs.forEach((rb, i) => {
      for (const variant of variants) {
        // The control directions: the replication's first null control, or the next RB's fine-tune.
        const reference =
          variant === 'null'
            ? nulls[0]!
            : variant === 'other'
              ? finetunes[otherRbIndex(i, spec.rbs.length)]!
              : null;
        const movableFrom = variant === 'random' ? [...finetunes, ...nulls] : null;
        for (const alpha of spec.alphas) {
          const id = add({
            id: nodeIds.derive(s, rb.name, variant, alpha),
            seed: s,
            deps: [
              pretrain,
              finetunes[i]!,
              ...(reference === null ? [] : [reference]),
              ...(movableFrom ?? []).filter((m) => m !== finetunes[i]),
            ],
            params: {
              kind: 'derive',
              base: pretrain,
              target: finetunes[i]!,
              rb: rb.name,
              variant,
              alpha,
              randomSeed: randomDirectionSeed(s, i),
              ...(reference === null ? {} : { reference }),
              ...(movableFrom === null ? {} : { movableFrom }),
            },
          });
          evals.push(evaluate(s, id));
          const recovery = recoveryOfDerived(s, id, alpha);
          if (recovery === nodeIds.recover(id)) recover(id, recovery, true);
        }
      }
      if (spec.positiveControl) {
        const positive = train(s, nodeIds.positive(s, rb.name), fineDeps, {
          role: 'positive',
          trainReward: negatedRbReward(spec.ra, rb).name,
          steps: spec.finetuneSteps,
          seed: positiveControlSeed(s, i),
          initFrom: pretrain,
          maskFrom: mask,
          subject: rb.name,
        });
        evals.push(evaluate(s, positive));
        recover(positive, nodeIds.recover(positive), true);
      }
    });
    const analysis = (kind: AnalysisKind, deps: string[]): string =>
      add({ id: nodeIds.analysis(s, kind), seed: s, deps, params: { kind: 'analysis', analysis: kind } });
    analysis('update-signals', [pretrain, ...finetunes, ...nulls]);
    analysis('negation', [...evals, ...recoverEvals]);
    const superposition = analysis('superposition', [pretrain, ...finetunes, ...nulls]);
    if (spec.knownAnswer !== null) analysis('known-answer', [superposition]);
    if (spec.localization !== null) {
      const loc = spec.localization;
      const localize = (id: string, deps: string[], maskFrom: string | null): string => {
        const trained = train(s, id, deps, {
          role: 'localize',
          trainReward: loc.rbNew.name,
          steps: loc.steps,
          seed: s,
          initFrom: pretrain,
          maskFrom,
          subject: loc.rbNew.name,
        });
        return evaluate(s, trained);
      };
      const locEvals = [localize(nodeIds.localizeFull(s), [pretrain], null)];
      // The RB_new objective's gradient and Fisher at MA: the movable set and two baselines.
      const gradient = analysis('gradient', [pretrain]);
      for (const k of loc.kPercents) {
        for (const { selection, draw } of maskDraws(spec)) {
          const mask = add({
            id: nodeIds.relevanceMask(s, selection, k, draw),
            seed: s,
            deps: [superposition, nodeIds.localizeFull(s), gradient],
            params: {
              kind: 'relevance-mask',
              from: superposition,
              aggregator: loc.aggregator,
              selection,
              kPercent: k,
              randomSeed: randomMaskSeed(s, k, draw),
              ...(selection === 'random' ? { draw } : {}),
              gradientFrom: gradient,
            },
          });
          locEvals.push(localize(nodeIds.localize(s, selection, k, draw), [pretrain, mask], mask));
        }
      }
      analysis('localization', [evals[0]!, ...locEvals]);
    }
  }
  checkGraph(nodes);
  return {
    format: JOB_GRAPH_FORMAT,
    evalRewards: [
      spec.ra,
      ...spec.rbs.map((rb) => effectiveRbReward(spec.ra, rb)),
      ...(spec.localization === null ? [] : [effectiveRbReward(spec.ra, spec.localization.rbNew)]),
      ...(spec.positiveControl ? spec.rbs.map((rb) => negatedRbReward(spec.ra, rb)) : []),
    ],
    nodes,
  };
}

/** Unique ids, and every dep names an earlier node (so the list is a topological order). */
export function checkGraph(nodes: readonly JobNode[]): void {
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.id))
      throw new DeltascopeError('INTERNAL', `job graph: node id "${node.id}" appears twice`);
    for (const dep of node.deps) {
      if (!seen.has(dep)) {
        throw new DeltascopeError(
          'INTERNAL',
          `job graph: node "${node.id}" depends on "${dep}", which does not precede it`,
        );
      }
    }
    seen.add(node.id);
  }
}

export type NodeStatus = 'pending' | 'ready' | 'running' | 'done' | 'failed' | 'blocked';

/**
 * Status of every node from what is done, failed and running: ready = pending with all deps done;
 * blocked = a dep failed or is blocked (until the failure is retried).
 */
export function nodeStatuses(
  graph: JobGraph,
  done: ReadonlySet<string>,
  failed: ReadonlySet<string>,
  running: ReadonlySet<string>,
): Map<string, NodeStatus> {
  const status = new Map<string, NodeStatus>();
  for (const node of graph.nodes) {
    if (done.has(node.id)) status.set(node.id, 'done');
    else if (running.has(node.id)) status.set(node.id, 'running');
    else if (failed.has(node.id)) status.set(node.id, 'failed');
    else if (node.deps.some((dep) => ['failed', 'blocked'].includes(status.get(dep) ?? ''))) {
      status.set(node.id, 'blocked');
    } else if (node.deps.every((dep) => status.get(dep) === 'done')) status.set(node.id, 'ready');
    else status.set(node.id, 'pending');
  }
  return status;
}

/** Node counts by kind, for progress and reports. */
export function countByKind(graph: JobGraph): Record<NodeKind, number> {
  const counts: Record<NodeKind, number> = {
    train: 0,
    mask: 0,
    'relevance-mask': 0,
    derive: 0,
    evaluate: 0,
    analysis: 0,
  };
  for (const node of graph.nodes) counts[node.params.kind] += 1;
  return counts;
}

/**
 * Rough cost of a node in env-step equivalents, for ETAs: training = its env steps; evaluation =
 * episodes × horizon / 4 (forward passes only); derive, masks and analyses = one PPO batch each.
 */
export function nodeCost(spec: ExperimentSpec, node: JobNode): number {
  const batch = spec.ppo.numEnvs * spec.ppo.numSteps;
  switch (node.params.kind) {
    case 'train':
      return node.params.steps;
    case 'evaluate':
      return (spec.evalEpisodes * spec.env.horizon) / 4;
    default:
      return batch;
  }
}
