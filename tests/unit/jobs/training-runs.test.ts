import { describe, expect, it } from 'vitest';
import { RewardSpecSchema, TrainingSpecSchema } from '@shared';
import { specOfRun } from '../../../src-main/jobs/training-runs';
import type { RunSummary } from '../../../src-main/shared/domain';

function runWithConfig(config: Record<string, unknown>): RunSummary {
  return {
    id: 7,
    experimentId: 1,
    name: 'fine-tune',
    phase: 'finetune',
    reward: RewardSpecSchema.parse({ name: 'RA', collect: { cheese: 1 } }),
    seed: 1,
    status: 'running',
    backend: null,
    parentCheckpointId: 3,
    config,
    createdAt: '2026-12-01T00:00:00.000Z',
    checkpointCount: 1,
    lastStep: 1024,
  };
}

/** The resolved spec of a fine-tune from checkpoint 3, as stored in a run's config. */
function storedSpec(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(TrainingSpecSchema.parse({ init: { checkpointId: 3 } }))) as Record<
    string,
    unknown
  >;
}

describe('the spec a stored run is trained with', () => {
  it('keeps the learning-rate warm-up of a run stored with one', () => {
    const spec = storedSpec();
    expect(specOfRun(runWithConfig(spec)).ppo.warmupIterations).toBe(5);
  });

  it('gives a run stored before ppo.warmupIterations existed no warm-up, as it was created', () => {
    const spec = storedSpec();
    const ppo = { ...(spec.ppo as Record<string, unknown>) };
    delete ppo.warmupIterations;
    const resumed = specOfRun(runWithConfig({ ...spec, ppo }));
    expect(resumed.ppo.warmupIterations).toBe(0);
    expect(resumed.ppo.learningRate).toBe((spec.ppo as { learningRate: number }).learningRate);
  });
});
