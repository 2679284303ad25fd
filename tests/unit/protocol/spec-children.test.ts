import { describe, expect, it } from 'vitest';
import { buildJobGraph, trainingSpecOfNode } from '../../../src-main/protocol';
import { ExperimentSpecSchema } from '../../../src-main/shared/experiment-spec';
import { createRng } from '../../../src-main/shared/random';
import { RewardSpecSchema } from '../../../src-main/shared/reward';
import { TrainingSpecSchema } from '../../../src-main/shared/training-spec';
import { describeIssues } from '../../../src-main/shared/validate';

/**
 * The experiment schema implies its children's validity: whatever ExperimentSpecSchema accepts, every
 * training run of its job graph parses as a TrainingSpec and every reward as a RewardSpec — so a value
 * that would fail hours into a run (a totalSteps over its maximum, a seed past 2³¹, a reward that
 * overflows) is refused by protocol.validate instead.
 */

const BASE = {
  name: 'p',
  env: { size: 5, regions: [{ name: 'tr', corner: 'top-right', size: 1 }] },
  ra: { name: 'RA', collect: { cheese: 1 } },
  rbs: [{ name: 'coin', collect: { coin: 1 } }],
  ppo: { numEnvs: 2, numSteps: 8, numMinibatches: 2 },
  pretrainSteps: 64,
  finetuneSteps: 32,
  recoverySteps: 16,
  alphas: [1],
  aggregators: ['mean'],
  nullControls: 1,
};

const EXTREMES = [
  0,
  1,
  -1,
  0.5,
  16,
  1e6,
  -1e6,
  5e5 + 1,
  1e12,
  9e15,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  1e308,
  -1e308,
  1e-308,
];

type Mutation = (spec: Record<string, unknown>, x: number, pick: <T>(xs: readonly T[]) => T) => void;

const at =
  (...path: string[]): Mutation =>
  (spec, x) => {
    let node = spec as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      node[key] = { ...(node[key] as Record<string, unknown>) };
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = x;
  };

const MUTATIONS: Mutation[] = [
  at('pretrainSteps'),
  at('finetuneSteps'),
  at('recoverySteps'),
  at('seeds'),
  at('seedBase'),
  at('nullControls'),
  at('ra', 'stepCost'),
  at('ra', 'collect', 'cheese'),
  at('ra', 'reach', 'tr'),
  at('ppo', 'entCoef'),
  at('ppo', 'vfCoef'),
  at('ppo', 'clipCoef'),
  at('ppo', 'maxGradNorm'),
  at('ppo', 'adamEps'),
  at('ppo', 'targetKl'),
  at('ppo', 'warmupIterations'),
  at('ppo', 'successWindow'),
  at('ppo', 'numEnvs'),
  at('ppo', 'numSteps'),
  at('env', 'horizon'),
  (spec, x) => {
    spec.rbs = [{ name: 'coin', collect: { coin: x }, stepCost: x, addToRA: true }];
  },
  (spec, x) => {
    spec.rbs = [{ name: 'coin', collect: { cheese: x }, reach: { tr: x }, addToRA: true }];
  },
  (spec, x) => {
    spec.alphas = [Math.min(10, Math.abs(x))];
  },
  (spec, x) => {
    spec.localization = {
      rbNew: { name: 'gem', collect: { coin: x } },
      steps: x,
      kPercents: [50],
      aggregator: 'mean',
    };
  },
  (spec, _x, pick) => {
    spec.knownAnswer = { tensor: pick(['torso.dense1.kernel', 'value.bias', 'torso.conv1.kernel', 'nope']) };
  },
  (spec, _x, pick) => {
    spec.net = pick([{ kind: 'cnn', channels: [2], denseWidth: 4 }, { hidden: [3, 3, 3] }]);
  },
  (spec, _x, pick) => {
    spec.name = 'n'.repeat(pick([1, 96]));
    spec.rbs = [{ name: `c${'x'.repeat(pick([0, 47]))}`, collect: { coin: 1 } }];
  },
];

/** A reproducible stream of uniforms in [0, 1) (the app's one PRNG). */
function random(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.float();
}

describe('an accepted experiment spec has valid children', () => {
  it('holds for 600 random specs with extreme values', () => {
    const u = random(9);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)]!;
    let accepted = 0;
    for (let trial = 0; trial < 600; trial++) {
      const raw = structuredClone(BASE) as Record<string, unknown>;
      const count = 1 + Math.floor(u() * 3);
      for (let m = 0; m < count; m++) pick(MUTATIONS)(raw, pick(EXTREMES), pick);
      const parsed = ExperimentSpecSchema.safeParse(raw);
      if (!parsed.success) continue;
      const spec = parsed.data;
      if (spec.seeds * (spec.rbs.length + spec.nullControls + 2) > 64) continue; // keep graphs small
      accepted += 1;
      const graph = buildJobGraph(spec);
      for (const reward of graph.evalRewards) {
        expect(RewardSpecSchema.safeParse(reward).success, JSON.stringify(raw)).toBe(true);
      }
      for (const node of graph.nodes) {
        if (node.params.kind !== 'train') continue;
        const inputs = { initCheckpointId: node.params.initFrom === null ? null : 1, maskArtifactId: null };
        const child = TrainingSpecSchema.safeParse(trainingSpecOfNode(spec, graph, node, inputs));
        const why = child.success ? '' : describeIssues(child.error, node.id);
        expect(why, JSON.stringify(raw)).toBe('');
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('refuses the values that used to fail later, naming them', () => {
    const issues = (patch: Record<string, unknown>): string => {
      const result = ExperimentSpecSchema.safeParse({ ...BASE, ...patch });
      return result.success ? '' : describeIssues(result.error, 'spec');
    };
    expect(issues({ pretrainSteps: 9e15 })).toBe(
      'spec.pretrainSteps: Too big: expected number to be <=1000000000000',
    );
    expect(issues({ ra: { name: 'RA', collect: { cheese: 1 }, stepCost: 1e308 } })).toBe(
      'spec.ra.stepCost: Too big: expected number to be <=1000000',
    );
    expect(issues({ ppo: { ...BASE.ppo, entCoef: 1e308 } })).toBe(
      'spec.ppo.entCoef: Too big: expected number to be <=10',
    );
    expect(issues({ seeds: 2, seedBase: 2 ** 31 - 1 })).toMatch(
      /^spec\.seedBase: replication seeds run from seedBase to/,
    );
    expect(issues({ rbs: [{ name: 'coin', collect: { cheese: 1e6 }, addToRA: true }] })).toBe(
      'spec.rbs.0.addToRA: RA + "coin" has collect.cheese = 1000001, beyond ±1000000',
    );
    expect(issues({ knownAnswer: { tensor: 'torso.dense9.kernel' } })).toMatch(
      /^spec\.knownAnswer\.tensor: the network has no tensor "torso\.dense9\.kernel" \(it has torso\.dense1\.kernel, /,
    );
  });
});
