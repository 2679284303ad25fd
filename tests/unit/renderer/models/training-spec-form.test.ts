import { describe, expect, it } from 'vitest';
import { TRAINING_PRESETS } from '../../../../src-renderer/components/training/training-presets';
import {
  SPEC_DEFAULTS,
  draftFromPreset,
  draftKinds,
  draftRewards,
  draftValue,
  fieldOfPath,
  getIn,
  parseDraftText,
  setIn,
  validateDraft,
  type SpecDraft,
} from '../../../../src-renderer/models/training-spec-form';

const tiny = (): SpecDraft => ({
  experiment: 'e',
  run: 'r',
  env: { size: 5, kinds: ['cheese', 'coin'], horizon: 32 },
  rewards: [
    { name: 'RA', collect: { cheese: 1 } },
    { name: 'RB', collect: { coin: 1 } },
  ],
  ppo: { numEnvs: 8, numSteps: 32, numMinibatches: 4 },
  totalSteps: 4096,
});

function fieldsOf(draft: SpecDraft): string[] {
  const result = validateDraft(draft);
  return result.ok ? [] : result.issues.map((issue) => issue.field);
}

describe('training presets', () => {
  it('embeds every resources/training preset, smallest budget first, each a valid spec', () => {
    expect(TRAINING_PRESETS.map((p) => p.name)).toEqual(['tiny-5x5', 'ma-cheese-7x7']);
    for (const preset of TRAINING_PRESETS) expect(validateDraft(draftFromPreset(preset.spec)).ok).toBe(true);
  });
});

describe('validateDraft', () => {
  it('accepts a small spec and fills in the defaults', () => {
    const result = validateDraft(tiny());
    expect(result.ok && result.spec.trainReward).toBe('RA');
    expect(result.ok && result.spec.seed).toBe(SPEC_DEFAULTS.seed);
  });

  it('puts each problem next to the form field it concerns', () => {
    expect(fieldsOf({ ...tiny(), totalSteps: 100 })).toEqual(['totalSteps']);
    expect(fieldsOf({ ...tiny(), trainReward: 'RC' })).toEqual(['trainReward']);
    expect(fieldsOf(setIn(tiny(), ['env', 'size'], 6))).toEqual(['env.size']);
    expect(fieldsOf(setIn(tiny(), ['rewards', 1, 'collect', 'red_gem'], 1))).toEqual(['rewards']);
    expect(fieldsOf({ ...tiny(), run: ' padded' })).toEqual(['run']);
    expect(fieldsOf(setIn(tiny(), ['ppo', 'updateWorkers'], 3))).toEqual(['ppo.updateWorkers']);
  });

  it('shows the gradient threads with the default of 1 and keeps a choice of 2 in the spec', () => {
    expect(draftValue(tiny(), 'ppo.updateWorkers')).toBe(1);
    const two = setIn(tiny(), ['ppo', 'updateWorkers'], 2);
    expect(draftValue(two, 'ppo.updateWorkers')).toBe(2);
    const result = validateDraft(two);
    expect(result.ok && result.spec.ppo.updateWorkers).toBe(2);
    expect(result.ok && result.spec.ppo.numEnvs).toBe(8);
  });

  it('sends problems outside the form to the advanced editor, with their path', () => {
    const result = validateDraft(setIn(tiny(), ['ppo', 'numMinibatches'], 7));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      expect.objectContaining({ field: 'advanced', path: 'ppo.numMinibatches' }),
    ]);
    expect(result.issues[0]?.message).toContain('does not split into 7 minibatches');
  });

  it('maps paths to the longest form field that prefixes them', () => {
    expect(fieldOfPath(['env', 'size'])).toBe('env.size');
    expect(fieldOfPath(['env', 'horizon'])).toBe('advanced');
    expect(fieldOfPath(['rewards', 0, 'name'])).toBe('rewards');
    expect(fieldOfPath([])).toBe('advanced');
  });
});

describe('draft editing', () => {
  it('sets a nested value in a copy, creating objects on the way', () => {
    const draft = tiny();
    const next = setIn(draft, ['net', 'kind'], 'cnn');
    expect(getIn(next, ['net', 'kind'])).toBe('cnn');
    expect(getIn(draft, ['net'])).toBeUndefined();
    const renamed = setIn(draft, ['rewards', 0, 'name'], 'cheese');
    expect(getIn(renamed, ['rewards', 0, 'name'])).toBe('cheese');
    expect(getIn(draft, ['rewards', 0, 'name'])).toBe('RA');
  });

  it('deletes a key when set to undefined, so the schema default applies again', () => {
    const next = setIn(tiny(), ['totalSteps'], undefined);
    expect('totalSteps' in next).toBe(false);
    expect(draftValue(next, 'totalSteps')).toBe(SPEC_DEFAULTS.totalSteps);
  });

  it('reads rewards as rows of collect weights over the env kinds', () => {
    expect(draftKinds(tiny())).toEqual(['cheese', 'coin']);
    expect(draftRewards(tiny())).toEqual([
      { name: 'RA', weights: { cheese: 1, coin: 0 } },
      { name: 'RB', weights: { cheese: 0, coin: 1 } },
    ]);
    expect(draftRewards({}).map((r) => r.name)).toEqual(SPEC_DEFAULTS.rewards.map((r) => r.name));
    expect(draftValue(tiny(), 'trainReward')).toBe('RA');
  });

  it('explains text that is not a JSON object', () => {
    expect(parseDraftText('{"run": "x"}')).toEqual({ ok: true, draft: { run: 'x' } });
    const broken = parseDraftText('{"run": ');
    expect(broken.ok === false && broken.message).toMatch(/^Not valid JSON/);
    const list = parseDraftText('[1]');
    expect(list.ok === false && list.message).toContain('JSON object');
  });
});
