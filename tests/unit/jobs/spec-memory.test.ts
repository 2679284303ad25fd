import { describe, expect, it } from 'vitest';
import { parseTrainingSpec } from '../../../src-main/jobs/training-runs';
import { parseNewExperimentSpec } from '../../../src-main/jobs/protocol/protocol-store';
import { checkTrainingMemory, memoryBudget, memoryIssue } from '../../../src-main/jobs/spec-memory';
import { TrainingSpecSchema } from '../../../src-main/shared/training-spec';

const GiB = 1024 ** 3;
const huge = { ppo: { numEnvs: 4096, numSteps: 8000, numMinibatches: 4096 }, totalSteps: 1e9 };

describe('the memory budget of a training spec', () => {
  it('is half the machine, or DELTASCOPE_MEMORY_BUDGET', () => {
    expect(memoryBudget({}, 16 * GiB)).toEqual({
      bytes: 8 * GiB,
      source: "half of this machine's 16.0 GiB; set DELTASCOPE_MEMORY_BUDGET=<bytes> to change it",
    });
    expect(memoryBudget({ DELTASCOPE_MEMORY_BUDGET: '2e9' }, 16 * GiB)).toEqual({
      bytes: 2e9,
      source: 'DELTASCOPE_MEMORY_BUDGET=2e9',
    });
    expect(() => memoryBudget({ DELTASCOPE_MEMORY_BUDGET: 'big' })).toThrow(
      'DELTASCOPE_MEMORY_BUDGET must be a positive number of bytes; got "big"',
    );
  });

  it('refuses numEnvs 4096 × numSteps 8000, naming the fields, the estimate and the budget', () => {
    const issue = memoryIssue(TrainingSpecSchema.parse(huge), { bytes: 4 * GiB, source: 'test budget' });
    expect(issue?.path).toEqual(['ppo', 'numSteps']);
    expect(issue?.message).toMatch(
      /^training needs an estimated 6\d\.\d GiB of memory — rollout buffers 6\d\.\d GiB \(ppo\.numEnvs × ppo\.numSteps = 32,768,000 env steps of 484 observation floats\), .* — which does not fit the memory budget of 4\.0 GiB \(test budget\); lower ppo\.numEnvs or ppo\.numSteps \(or env\.size\)$/,
    );
    expect(() => parseTrainingSpec(huge)).toThrow(
      /^Invalid training spec: spec\.ppo\.numSteps: training needs an estimated/,
    );
  });

  it('refuses the maxima (once a raw "Invalid typed array length") and a minibatch beyond the wasm heap', () => {
    const maxima = TrainingSpecSchema.parse({
      ppo: { numEnvs: 4096, numSteps: 100_000, numMinibatches: 4096 },
      totalSteps: 1e12,
    });
    expect(memoryIssue(maxima, { bytes: 1e15, source: 'x' })).toBeNull();
    expect(memoryIssue(maxima)?.path).toEqual(['ppo', 'numSteps']);
    const oneMinibatch = TrainingSpecSchema.parse({
      ppo: { numEnvs: 4096, numSteps: 1000, numMinibatches: 1 },
      totalSteps: 1e9,
    });
    const issue = memoryIssue(oneMinibatch, { bytes: 1e15, source: 'x' });
    expect(issue?.path).toEqual(['ppo', 'numMinibatches']);
    expect(issue?.message).toMatch(
      /^one minibatch of 4,096,000 rows .* over the 4\.0 GiB the wasm backend can hold; raise ppo\.numMinibatches/,
    );
  });

  it('accepts the default spec and counts trainings that run at once', () => {
    const defaults = TrainingSpecSchema.parse({});
    expect(memoryIssue(defaults, { bytes: GiB, source: 'x' })).toBeNull();
    expect(() => checkTrainingMemory(defaults, 'spec', { bytes: 0.3 * GiB, source: 'x' }, 2)).toThrow(
      /^spec\.ppo\.numSteps: training needs an estimated 2 trainings at once × /,
    );
  });

  it('is checked for new experiment specs', () => {
    expect(() =>
      parseNewExperimentSpec({ ppo: huge.ppo, pretrainSteps: 1e9, finetuneSteps: 1e9, recoverySteps: 1e9 }),
    ).toThrow(/^Invalid experiment spec: spec\.ppo\.numSteps: training needs an estimated/);
  });
});
