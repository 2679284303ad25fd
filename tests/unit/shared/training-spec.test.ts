import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PPO_CONFIG } from '../../../src-main/engine/ppo';
import {
  DEFAULT_CHECKPOINT_WARMUP_ITERATIONS,
  describeIssues,
  GridMazeConfigSchema,
  NetSpecSchema,
  PpoSpecSchema,
  TrainingSpecSchema,
  trainingBudget,
  type TrainingSpecInput,
} from '../../../src-main/shared';

function issues(raw: unknown): string {
  const result = TrainingSpecSchema.safeParse(raw);
  if (result.success) throw new Error('the spec parsed');
  return describeIssues(result.error, 'spec');
}

describe('TrainingSpecSchema', () => {
  it('fills every field from its defaults, the env’s included', () => {
    const spec = TrainingSpecSchema.parse({});
    expect(spec).toMatchObject({
      version: 1,
      experiment: 'default',
      run: 'run',
      phase: 'pretrain',
      trainReward: 'RA',
      totalSteps: 3_000_000,
      seed: 1,
      checkpointEvery: 100_000,
      net: { kind: 'mlp', hidden: [256, 256] },
    });
    expect(spec.env).toEqual(GridMazeConfigSchema.parse({}));
    expect(spec.rewards).toEqual([{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }]);
    expect(spec.init).toBeUndefined();
  });

  it('has the engine’s PPO defaults, so a stored spec records what was used', () => {
    const { warmupIterations, ...defaults } = PpoSpecSchema.parse({});
    for (const [key, value] of Object.entries(defaults)) {
      expect(value, key).toEqual(DEFAULT_PPO_CONFIG[key as keyof typeof DEFAULT_PPO_CONFIG]);
    }
    // the spec's warm-up applies to runs from a checkpoint only (jobs/trainer-setup.ts); fresh
    // pretraining runs the engine's default, none, as the reference does
    expect(warmupIterations).toBe(DEFAULT_CHECKPOINT_WARMUP_ITERATIONS);
    expect(DEFAULT_PPO_CONFIG.warmupIterations).toBe(0);
  });

  it('documents every field', () => {
    for (const schema of [TrainingSpecSchema.in, NetSpecSchema, PpoSpecSchema]) {
      for (const [key, field] of Object.entries(schema.shape)) expect(field.description, key).toBeTruthy();
    }
  });

  it('trains on the first reward unless trainReward names another', () => {
    const rewards = [
      { name: 'RA', collect: { cheese: 1 } },
      { name: 'RB', collect: { coin: 1 } },
    ];
    expect(TrainingSpecSchema.parse({ rewards }).trainReward).toBe('RA');
    expect(TrainingSpecSchema.parse({ rewards, trainReward: 'RB' }).trainReward).toBe('RB');
  });

  it.each<[string, TrainingSpecInput | Record<string, unknown>, string]>([
    ['a negative env count', { ppo: { numEnvs: -4 } }, 'spec.ppo.numEnvs:'],
    ['a fractional warm-up', { ppo: { warmupIterations: 2.5 } }, 'spec.ppo.warmupIterations:'],
    [
      'an unknown train reward',
      { trainReward: 'RZ' },
      'spec.trainReward: "RZ" is not one of the rewards (RA)',
    ],
    [
      'a reward on a kind the env lacks',
      { rewards: [{ name: 'gem', collect: { red_gem: 1 } }] },
      'spec.rewards.0.collect.red_gem: kind "red_gem" is not in env.kinds',
    ],
    [
      'a reward on an undeclared region',
      { rewards: [{ name: 'corner', reach: { top: 1 } }] },
      'spec.rewards.0.reach.top: region "top" is not declared',
    ],
    [
      'a duplicated reward name',
      { rewards: [{ name: 'RA' }, { name: 'RA' }] },
      'spec.rewards.1.name: reward name "RA" is used twice',
    ],
    [
      'minibatches that do not divide the batch',
      { ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 3 } },
      'spec.ppo.numMinibatches: the batch numEnvs × numSteps = 64',
    ],
    ['a budget below one iteration', { totalSteps: 100 }, 'spec.totalSteps: 100 is less than one iteration'],
    ['an even maze size', { env: { size: 6 } }, 'spec.env.size:'],
    ['an unknown field', { lr: 0.1 }, 'spec: Unrecognized key: "lr"'],
    ['a future version', { version: 2 }, 'spec.version:'],
    ['a bad init checkpoint id', { init: { checkpointId: 0 } }, 'spec.init.checkpointId:'],
  ])('names the field of %s', (_what, raw, expected) => {
    expect(issues(raw)).toContain(expected);
  });

  it('computes the budget in whole iterations', () => {
    const spec = TrainingSpecSchema.parse({
      ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 },
      totalSteps: 1000,
    });
    expect(trainingBudget(spec)).toEqual({ batchSize: 64, iterations: 15, totalSteps: 960 });
  });

  it.each(readdirSync('resources/training').filter((file) => file.endsWith('.json')))(
    'accepts the example spec resources/training/%s',
    (file) => {
      const raw = JSON.parse(readFileSync(join('resources/training', file), 'utf8')) as unknown;
      expect(TrainingSpecSchema.safeParse(raw).success).toBe(true);
    },
  );
});
