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
    // Per seed: trainings 1 + 2 + 2 + 1 control recovery + 12 recoveries; 12 derived; evaluations of
    // MA, 2 MB, 2 nulls, 12 derived, 13 recovered; 3 analyses.
    expect(countByKind(graph)).toEqual({
      train: 2 * 18,
      mask: 0,
      'relevance-mask': 0,
      derive: 2 * 12,
      evaluate: 2 * 30,
      analysis: 2 * 3,
    });
    expect(graph.evalRewards.map((r) => r.name)).toEqual(['RA', 'coin', 'gem']);
  });

  it('at α = 0 derives and evaluates MA itself but trains no recovery: it would repeat the control', () => {
    const withZero = buildJobGraph({ ...spec, seeds: 1, alphas: [0, 1] });
    // 2 RBs × 3 variants × 2 alphas derived; recoveries only for α = 1 (6) plus the control
    expect(countByKind(withZero)).toMatchObject({ derive: 12, train: 1 + 2 + 2 + 1 + 6 });
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

  it('adds top/random/bottom masks per k, their fine-tunes on RB_new, a full fine-tune and the analysis for localization', () => {
    const local = buildJobGraph({
      ...spec,
      seeds: 1,
      localization: {
        rbNew: { name: 'both', collect: { coin: 1, cheese: 1 }, stepCost: 0, reach: {}, addToRA: false },
        kPercents: [1, 20],
        steps: 64,
        aggregator: 'mean',
      },
    });
    const base = countByKind(buildJobGraph({ ...spec, seeds: 1 }));
    expect(countByKind(local)).toEqual({
      ...base,
      'relevance-mask': 6,
      train: base.train + 7,
      evaluate: base.evaluate + 7,
      analysis: base.analysis + 1,
    });
    expect(local.evalRewards.map((r) => r.name)).toEqual(['RA', 'coin', 'gem', 'both']);
    const masked = local.nodes.find((n) => n.id === nodeIds.localize(3, 'top', 20))!;
    expect(masked.deps).toEqual([nodeIds.pretrain(3), nodeIds.relevanceMask(3, 'top', 20)]);
    expect(masked.params).toMatchObject({ trainReward: 'both', role: 'localize' });
    expect(local.nodes.find((n) => n.id === nodeIds.relevanceMask(3, 'top', 20))!.deps).toEqual([
      nodeIds.analysis(3, 'superposition'),
      nodeIds.localizeFull(3),
    ]);
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
    // One direction per (replication, RB) and one mask per (replication, k): all distinct.
    expect(directionSeeds.size).toBe(3 * 2);
    expect(maskSeeds).toHaveLength(3 * 3);
    const all = [...directionSeeds.values(), ...maskSeeds];
    expect(new Set(all).size).toBe(all.length);
    // Derived from the replication seed (seedBase + r) alone: the same spec gives the same seeds.
    expect(buildJobGraph(local)).toEqual(graph3);
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
