import { describe, expect, it } from 'vitest';
import {
  buildJobGraph,
  countByKind,
  nodeCost,
  nodeIds,
  nodeStatuses,
  trainingSpecOfNode,
} from '../../../src-main/protocol';
import { ExperimentSpecSchema } from '../../../src-main/shared/experiment-spec';
import { TrainingSpecSchema } from '../../../src-main/shared/training-spec';

const spec = ExperimentSpecSchema.parse({
  rbs: [
    { name: 'coin', collect: { coin: 1 } },
    { name: 'gem', collect: { cheese: 1 } },
  ],
  nullControls: 2,
  alphas: [0.5, 1],
  seeds: 2,
  seedBase: 3,
  ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 },
  pretrainSteps: 640,
  finetuneSteps: 128,
  recoverySteps: 64,
});

describe('buildJobGraph', () => {
  const graph = buildJobGraph(spec);

  it('has per seed: 1 pretrain, an RB fine-tune each, the null controls, derived points and their recoveries', () => {
    // Per seed: 2 RBs × 5 variants (negate, add, random, null, other) × 2 α = 20 derived; trainings
    // 1 + 2 + 2 + 1 control recovery + 20 recoveries; evaluations of MA, 2 MB, 2 nulls, 20 derived,
    // 21 recovered; 3 analyses.
    expect(countByKind(graph)).toEqual({
      train: 2 * 26,
      mask: 0,
      'relevance-mask': 0,
      derive: 2 * 20,
      evaluate: 2 * 46,
      analysis: 2 * 3,
    });
    expect(graph.evalRewards.map((r) => r.name)).toEqual(['RA', 'coin', 'gem']);
  });

  it('at α = 0 derives and evaluates MA itself but trains no recovery: it would repeat the control', () => {
    const withZero = buildJobGraph({ ...spec, seeds: 1, alphas: [0, 1] });
    // 2 RBs × 5 variants × 2 alphas derived; recoveries only for α = 1 (10) plus the control
    expect(countByKind(withZero)).toMatchObject({ derive: 20, train: 1 + 2 + 2 + 1 + 10 });
    const ids = new Set(withZero.nodes.map((n) => n.id));
    expect(ids.has(nodeIds.derive(3, 'coin', 'negate', 0))).toBe(true);
    expect(ids.has(nodeIds.evaluate(nodeIds.derive(3, 'coin', 'negate', 0)))).toBe(true);
    expect(ids.has(nodeIds.recover(nodeIds.derive(3, 'coin', 'negate', 0)))).toBe(false);
    expect(ids.has(nodeIds.recover(nodeIds.derive(3, 'coin', 'negate', 1)))).toBe(true);
    expect(ids.has(nodeIds.recoverControl(3))).toBe(true);
  });

  it('lists each node after its deps, with stable readable ids', () => {
    const position = new Map(graph.nodes.map((node, i) => [node.id, i]));
    for (const node of graph.nodes)
      for (const dep of node.deps) expect(position.get(dep)!).toBeLessThan(position.get(node.id)!);
    expect(position.has('s3/derive/coin/negate/0.5')).toBe(true);
    expect(position.has('s4/derive/gem/random/1/recover/eval')).toBe(true);
    expect(buildJobGraph(spec)).toEqual(graph);
  });

  it('gives null controls seeds of their own and starts fine-tunes from MA', () => {
    const seeds = graph.nodes
      .filter((n) => n.params.kind === 'train' && n.params.role === 'null')
      .map((n) => (n.params as { seed: number }).seed);
    expect(new Set(seeds).size).toBe(4);
    const finetune = graph.nodes.find((n) => n.id === nodeIds.finetune(3, 'coin'))!;
    expect(finetune.params).toMatchObject({ initFrom: nodeIds.pretrain(3), trainReward: 'coin' });
  });

  it('adds a mask node before the fine-tunes and a known-answer analysis in the known-answer variant', () => {
    const known = buildJobGraph({ ...spec, seeds: 1, knownAnswer: { tensor: 'policy.kernel' } });
    const finetune = known.nodes.find((n) => n.id === nodeIds.finetune(3, 'coin'))!;
    expect(finetune.deps).toContain(nodeIds.mask(3));
    expect(finetune.params).toMatchObject({ maskFrom: nodeIds.mask(3) });
    expect(known.nodes.at(-1)!.id).toBe(nodeIds.analysis(3, 'known-answer'));
  });

  it('adds per k the top/bottom masks, M random draws and the null-drift, saliency and Fisher baselines, their fine-tunes on RB_new, a full fine-tune, the gradient node and the analysis for localization', () => {
    const local = buildJobGraph({
      ...spec,
      seeds: 1,
      localization: {
        rbNew: { name: 'both', collect: { coin: 1, cheese: 1 }, stepCost: 0, reach: {}, addToRA: false },
        kPercents: [1, 20],
        steps: 64,
        aggregator: 'mean',
        randomMasks: 4,
      },
    });
    const base = countByKind(buildJobGraph({ ...spec, seeds: 1 }));
    // per k: top, bottom, 4 random, null-drift, saliency, fisher = 9 masks
    expect(countByKind(local)).toEqual({
      ...base,
      'relevance-mask': 18,
      train: base.train + 19,
      evaluate: base.evaluate + 19,
      analysis: base.analysis + 2,
    });
    expect(local.nodes.filter((n) => n.id.startsWith('s3/localize/mask/random/20')).map((n) => n.id)).toEqual(
      [
        's3/localize/mask/random/20',
        's3/localize/mask/random/20/1',
        's3/localize/mask/random/20/2',
        's3/localize/mask/random/20/3',
      ],
    );
    expect(local.nodes.find((n) => n.id === nodeIds.analysis(3, 'gradient'))!.deps).toEqual([
      nodeIds.pretrain(3),
    ]);
    expect(local.evalRewards.map((r) => r.name)).toEqual(['RA', 'coin', 'gem', 'both']);
    const masked = local.nodes.find((n) => n.id === nodeIds.localize(3, 'top', 20))!;
    expect(masked.deps).toEqual([nodeIds.pretrain(3), nodeIds.relevanceMask(3, 'top', 20)]);
    expect(masked.params).toMatchObject({ trainReward: 'both', role: 'localize' });
    expect(local.nodes.find((n) => n.id === nodeIds.relevanceMask(3, 'top', 20))!.deps).toEqual([
      nodeIds.analysis(3, 'superposition'),
      nodeIds.localizeFull(3),
      nodeIds.analysis(3, 'gradient'),
    ]);
  });

  it('replicates the denominator: one full fine-tune on RB_new per replication, from its own MA and seed', () => {
    const graph = buildJobGraph({
      ...spec,
      seeds: 3,
      localization: {
        rbNew: { name: 'both', collect: { coin: 1, cheese: 1 }, stepCost: 0, reach: {}, addToRA: false },
        kPercents: [20],
        steps: 64,
        aggregator: 'mean' as const,
        randomMasks: 2,
      },
    });
    const fulls = graph.nodes.filter((n) => n.id.endsWith('/localize/full'));
    // seedBase 3: replications 3, 4, 5.
    expect(fulls.map((n) => n.id)).toEqual([3, 4, 5].map((s) => nodeIds.localizeFull(s)));
    for (const [r, node] of fulls.entries()) {
      const s = spec.seedBase + r;
      expect(node.deps).toEqual([nodeIds.pretrain(s)]);
      expect(node.params).toMatchObject({ seed: s, initFrom: nodeIds.pretrain(s), maskFrom: null });
      expect(graph.nodes.find((n) => n.id === nodeIds.analysis(s, 'localization'))!.deps).toContain(
        nodeIds.evaluate(nodeIds.localizeFull(s)),
      );
    }
  });

  it("gives every replication's random directions and random masks seeds of their own, reproducibly", () => {
    const local = {
      ...spec,
      seeds: 3,
      localization: {
        rbNew: { name: 'both', collect: { coin: 1, cheese: 1 }, stepCost: 0, reach: {}, addToRA: false },
        kPercents: [1, 5, 20],
        steps: 64,
        aggregator: 'mean' as const,
        randomMasks: 2,
      },
    };
    const graph3 = buildJobGraph(local);
    const directionSeeds = new Map<string, number>();
    const maskSeeds: number[] = [];
    for (const node of graph3.nodes) {
      if (node.params.kind === 'derive' && node.params.variant === 'random') {
        directionSeeds.set(`${node.seed}/${node.params.rb}`, node.params.randomSeed);
      }
      if (node.params.kind === 'relevance-mask' && node.params.selection === 'random') {
        maskSeeds.push(node.params.randomSeed);
      }
    }
    // One direction per (replication, RB) and one random mask per (replication, k, draw): all distinct.
    expect(directionSeeds.size).toBe(3 * 2);
    expect(maskSeeds).toHaveLength(3 * 3 * 2);
    const all = [...directionSeeds.values(), ...maskSeeds];
    expect(new Set(all).size).toBe(all.length);
    // Derived from the replication seed (seedBase + r) alone: the same spec gives the same seeds.
    expect(buildJobGraph(local)).toEqual(graph3);
  });

  it('derives the norm-matched controls from the replication: −Δ_null from its null control, −Δ_other from the next RB, random on its movable set', () => {
    const node = (variant: string, rb = 'coin') =>
      graph.nodes.find((n) => n.id === `s3/derive/${rb}/${variant}/1`)!;
    expect(node('null').params).toMatchObject({ reference: nodeIds.null(3, 0) });
    expect(node('null').deps).toContain(nodeIds.null(3, 0));
    expect(node('other').params).toMatchObject({ reference: nodeIds.finetune(3, 'gem') });
    expect(node('other', 'gem').params).toMatchObject({ reference: nodeIds.finetune(3, 'coin') });
    expect(node('random').params).toMatchObject({
      movableFrom: [
        nodeIds.finetune(3, 'coin'),
        nodeIds.finetune(3, 'gem'),
        nodeIds.null(3, 0),
        nodeIds.null(3, 1),
      ],
    });
    // No null control, one RB: neither control can be made, so neither is planned.
    const bare = buildJobGraph({
      ...spec,
      seeds: 1,
      nullControls: 0,
      aggregators: ['mean'],
      rbs: [spec.rbs[0]!],
    });
    const variants = new Set(
      bare.nodes.flatMap((n) => (n.params.kind === 'derive' ? [n.params.variant] : [])),
    );
    expect([...variants].sort()).toEqual(['add', 'negate', 'random']);
  });

  it('plans the positive control (MA fine-tuned on −RBᵢ) and recoveries to criterion after the control is evaluated', () => {
    const criterion = buildJobGraph({
      ...spec,
      seeds: 1,
      positiveControl: true,
      recoveryCriterion: { margin: 0.05, maxSteps: 256, checkEvery: 64, episodes: 20 },
    });
    expect(criterion.evalRewards.map((r) => r.name)).toEqual(['RA', 'coin', 'gem', 'neg-coin', 'neg-gem']);
    expect(criterion.evalRewards[3]!.collect).toEqual({ coin: -1 });
    const positive = criterion.nodes.find((n) => n.id === nodeIds.positive(3, 'coin'))!;
    expect(positive.params).toMatchObject({
      role: 'positive',
      trainReward: 'neg-coin',
      steps: 128,
      initFrom: nodeIds.pretrain(3),
    });
    const recover = criterion.nodes.find(
      (n) => n.id === nodeIds.recover(nodeIds.derive(3, 'coin', 'negate', 1)),
    )!;
    const controlEval = nodeIds.evaluate(nodeIds.recoverControl(3));
    expect(recover.deps).toContain(controlEval);
    expect(recover.params).toMatchObject({
      steps: 256,
      criterion: { referenceEval: controlEval, margin: 0.05, checkEvery: 64, episodes: 20 },
    });
    expect(
      criterion.nodes.find((n) => n.id === nodeIds.recover(nodeIds.positive(3, 'coin')))!.deps,
    ).toContain(controlEval);
    // The control itself keeps the fixed budget.
    const control = criterion.nodes.find((n) => n.id === nodeIds.recoverControl(3))!;
    expect(control.params).toMatchObject({ steps: 64 });
    expect(control.params).not.toHaveProperty('criterion');
    const training = TrainingSpecSchema.parse(
      trainingSpecOfNode(spec, criterion, recover, {
        initCheckpointId: 12,
        maskArtifactId: null,
        criterionReference: 0.7,
      }),
    );
    expect(training.stopAtCriterion).toEqual({
      reward: 'RA',
      reference: 0.7,
      margin: 0.05,
      checkEvery: 64,
      episodes: 20,
      evalSeed: spec.evalSeed,
      policy: spec.evalPolicy,
    });
  });

  it('costs a training node its env steps, so the ETA weighs a long pretrain accordingly', () => {
    const pretrain = graph.nodes.find((n) => n.id === nodeIds.pretrain(3))!;
    const derive = graph.nodes.find((n) => n.params.kind === 'derive')!;
    expect(nodeCost(spec, pretrain)).toBe(640);
    expect(nodeCost(spec, derive)).toBe(64);
  });

  it('turns a training node into a valid TrainingSpec', () => {
    const node = graph.nodes.find((n) => n.id === nodeIds.recover(nodeIds.derive(3, 'coin', 'negate', 1)))!;
    const training = TrainingSpecSchema.parse(
      trainingSpecOfNode(spec, graph, node, { initCheckpointId: 12, maskArtifactId: null }),
    );
    expect(training).toMatchObject({
      run: node.id,
      phase: 'retrain',
      trainReward: 'RA',
      totalSteps: 64,
      init: { checkpointId: 12 },
    });
    expect(training.experiment).toBe(spec.name);
  });
});

describe('nodeStatuses', () => {
  const graph = buildJobGraph({ ...spec, seeds: 1, alphas: [1] });
  const pretrain = nodeIds.pretrain(3);

  it('makes a node ready once all its deps are done', () => {
    const none = nodeStatuses(graph, new Set(), new Set(), new Set());
    expect([...none].filter(([, s]) => s === 'ready').map(([id]) => id)).toEqual([pretrain]);
    const after = nodeStatuses(graph, new Set([pretrain]), new Set(), new Set());
    expect(after.get(nodeIds.finetune(3, 'coin'))).toBe('ready');
    expect(after.get(nodeIds.evaluate(pretrain))).toBe('ready');
  });

  it('blocks everything downstream of a failure', () => {
    const status = nodeStatuses(
      graph,
      new Set([pretrain]),
      new Set([nodeIds.finetune(3, 'coin')]),
      new Set(),
    );
    expect(status.get(nodeIds.derive(3, 'coin', 'negate', 1))).toBe('blocked');
    expect(status.get(nodeIds.analysis(3, 'negation'))).toBe('blocked');
    expect(status.get(nodeIds.finetune(3, 'gem'))).toBe('ready');
  });
});
