import { describe, expect, it } from 'vitest';
import { TRAINING_PRESETS } from '../../../../src-renderer/components/training/training-presets';
import {
  copyDraft,
  issuesOutside,
  issuesUnder,
  setAt,
  type SpecDraft,
} from '../../../../src-renderer/models/spec-draft';
import {
  TRAINING_FORM_PATHS,
  newTrainingReward,
  trainingForm,
} from '../../../../src-renderer/models/training-spec-form';

/** resources/training/tiny-5x5.json: a 5×5 maze of cheese and coin, rewards RA and RB, 8×32 steps per iteration. */
const tiny = (): SpecDraft => copyDraft(TRAINING_PRESETS.find((p) => p.name === 'tiny-5x5')!.spec);

/** The form field each problem of `draft` shows under ('json' for the JSON editor). */
function fieldsOf(draft: SpecDraft): string[] {
  const result = trainingForm.validate(draft);
  if (result.ok) return [];
  return result.issues.map(
    (issue) => TRAINING_FORM_PATHS.find((path) => issuesUnder([issue], path).length > 0) ?? 'json',
  );
}

describe('training presets', () => {
  it('embeds every resources/training preset, smallest budget first, each a valid spec', () => {
    expect(TRAINING_PRESETS.map((p) => p.name)).toEqual(['tiny-5x5', 'ma-cheese-7x7']);
    for (const preset of TRAINING_PRESETS)
      expect(trainingForm.validate(copyDraft(preset.spec)).ok).toBe(true);
  });
});

describe('the training form', () => {
  it('accepts a small spec and fills in the defaults', () => {
    const result = trainingForm.validate(tiny());
    expect(result.ok && result.spec.trainReward).toBe('RA');
    expect(result.ok && result.spec.seed).toBe(trainingForm.defaults.seed);
  });

  it('puts each problem next to the form field it concerns', () => {
    expect(fieldsOf({ ...tiny(), totalSteps: 100 })).toEqual(['totalSteps']);
    expect(fieldsOf({ ...tiny(), trainReward: 'RC' })).toEqual(['trainReward']);
    expect(fieldsOf(setAt(tiny(), 'env.size', 6))).toEqual(['env.size']);
    expect(fieldsOf(setAt(tiny(), 'env.horizon', 0))).toEqual(['env.horizon']);
    expect(fieldsOf(setAt(tiny(), 'rewards.1.collect.red_gem', 1))).toEqual(['rewards']);
    expect(fieldsOf({ ...tiny(), run: ' padded' })).toEqual(['run']);
    expect(fieldsOf(setAt(tiny(), 'ppo.updateWorkers', 3))).toEqual(['ppo.updateWorkers']);
  });

  it('shows the gradient threads with the default of 1 and keeps a choice of 2 in the spec', () => {
    expect(trainingForm.value(tiny(), 'ppo.updateWorkers')).toBe(1);
    const two = setAt(tiny(), 'ppo.updateWorkers', 2);
    expect(trainingForm.value(two, 'ppo.updateWorkers')).toBe(2);
    const result = trainingForm.validate(two);
    expect(result.ok && result.spec.ppo.updateWorkers).toBe(2);
    expect(result.ok && result.spec.ppo.numEnvs).toBe(8);
  });

  it('sends problems outside the form to the JSON editor, with their path', () => {
    const result = trainingForm.validate(setAt(tiny(), 'ppo.numMinibatches', 7));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const outside = issuesOutside(result.issues, TRAINING_FORM_PATHS);
    expect(outside).toEqual([expect.objectContaining({ path: 'ppo.numMinibatches' })]);
    expect(outside[0]?.message).toContain('does not split into 7 minibatches');
  });

  it('reads a left-out field as its default, and trains on the first reward by default', () => {
    const next = setAt(tiny(), 'totalSteps', undefined);
    expect('totalSteps' in next).toBe(false);
    expect(trainingForm.value(next, 'totalSteps')).toBe(trainingForm.defaults.totalSteps);
    expect(trainingForm.value(setAt(tiny(), 'trainReward', undefined), 'trainReward')).toBe('RA');
    expect(trainingForm.value(tiny(), 'env.view')).toBe('global');
  });

  it('reads rewards as rows of collect weights over the env kinds, and names a new one R<n+1>', () => {
    expect(trainingForm.kinds(tiny())).toEqual(['cheese', 'coin']);
    expect(trainingForm.rewards(tiny(), 'rewards')).toEqual([
      { name: 'RA', weights: { cheese: 1, coin: 0 }, stepCost: 0, addToRA: false },
      { name: 'RB', weights: { cheese: 0, coin: 1 }, stepCost: 0, addToRA: false },
    ]);
    expect(trainingForm.rewards({}, 'rewards').map((r) => r.name)).toEqual(
      trainingForm.defaults.rewards.map((r) => r.name),
    );
    expect(newTrainingReward(tiny())).toEqual({ name: 'R3', collect: {} });
    // A defaulted reward list is copied into the draft before one of its rows is edited.
    expect(trainingForm.materialize({}, 'rewards')).toEqual({
      rewards: [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }],
    });
  });
});
