import { describe, expect, it } from 'vitest';
import {
  EXPERIMENT_FORM_PATHS,
  alphaGrid,
  experimentForm,
  freshRbName,
  parseNumberList,
  positiveControlRewards,
  similarityRequest,
  withRecoveryCriterion,
} from '../../../../src-renderer/models/protocol-spec-form';
import { issuesOutside, issuesUnder, setAt } from '../../../../src-renderer/models/spec-draft';

const draft = {
  name: 'x',
  env: { size: 5, kinds: ['cheese', 'coin', 'red_gem'] },
  ra: { name: 'RA', collect: { cheese: 1 } },
  rbs: [
    { name: 'coin', collect: { coin: 1 } },
    { name: 'gem', collect: { red_gem: 2 }, addToRA: true },
  ],
};

describe('experiment spec form model', () => {
  it('reads fields from the draft or the schema defaults, and writes by dotted path', () => {
    expect(experimentForm.value(draft, 'env.size')).toBe(5);
    expect(experimentForm.value(draft, 'pretrainSteps')).toBe(1_000_000);
    expect(experimentForm.value(draft, 'rbs.1.name')).toBe('gem');
    const next = setAt(draft, 'rbs.0.collect.coin', 3);
    expect(experimentForm.value(next, 'rbs.0.collect.coin')).toBe(3);
    expect(experimentForm.value(draft, 'rbs.0.collect.coin')).toBe(1);
    expect(experimentForm.value(setAt(draft, 'env.size', undefined), 'env.size')).toBe(7);
  });

  it('reads the localization fields from their own defaults once the test is on', () => {
    expect(experimentForm.value(draft, 'localization')).toBeNull();
    const on = setAt(draft, 'localization', { rbNew: { name: 'blue', collect: { red_gem: 1 } } });
    expect(experimentForm.value(on, 'localization.kPercents')).toEqual([1, 5, 20]);
    expect(experimentForm.value(on, 'localization.rbNew.name')).toBe('blue');
  });

  it('lists RA and the RBs as rows with a weight per env kind', () => {
    expect(experimentForm.rewards(draft, 'rbs')).toEqual([
      { name: 'coin', weights: { cheese: 0, coin: 1, red_gem: 0 }, stepCost: 0, addToRA: false },
      { name: 'gem', weights: { cheese: 0, coin: 0, red_gem: 2 }, stepCost: 0, addToRA: true },
    ]);
    expect(experimentForm.rewards(draft, 'ra')).toEqual([
      { name: 'RA', weights: { cheese: 1, coin: 0, red_gem: 0 }, stepCost: 0, addToRA: false },
    ]);
    expect(freshRbName(draft)).toBe('rb1');
    // A defaulted list is copied into the draft before one entry is edited.
    expect(experimentForm.value(experimentForm.materialize({}, 'rbs'), 'rbs')).toEqual([
      { name: 'coin', collect: { coin: 1 }, stepCost: 0, reach: {}, addToRA: false },
    ]);
  });

  it('sorts schema issues to their paths, e.g. a reward naming a kind the env lacks', () => {
    const bad = setAt(draft, 'rbs.0.collect.blue_gem', 1);
    const result = experimentForm.validate(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(issuesUnder(result.issues, 'rbs').map((i) => i.path)).toEqual(['rbs.0.collect.blue_gem']);
    expect(issuesUnder(result.issues, 'rb')).toEqual([]);
    expect(experimentForm.validate(draft).ok).toBe(true);
    // A problem no designer field edits goes to the JSON editor, with its path.
    const ppo = experimentForm.validate(setAt(draft, 'ppo.numMinibatches', 0));
    const outside = ppo.ok ? [] : issuesOutside(ppo.issues, EXPERIMENT_FORM_PATHS);
    expect(outside.length).toBeGreaterThan(0);
    expect(new Set(outside.map((i) => i.path))).toEqual(new Set(['ppo.numMinibatches']));
  });

  it('asks the similarity of RA and the effective RBs (RA plus the component when addToRA)', () => {
    const request = similarityRequest(draft);
    expect(request?.rewards.map((r) => [r.name, r.collect])).toEqual([
      ['RA', { cheese: 1 }],
      ['coin', { coin: 1 }],
      ['gem', { cheese: 1, red_gem: 2 }],
    ]);
    expect(similarityRequest(setAt(draft, 'rbs.0.name', ''))).toBeNull();
    expect(similarityRequest(setAt(draft, 'rbs.0.name', 'gem'))).toBeNull();
  });

  it('turns recovery to criterion on with its defaults, reads its fields, and puts its issues at their paths', () => {
    expect(experimentForm.value(draft, 'recoveryCriterion')).toBeNull();
    const on = withRecoveryCriterion(draft, true);
    expect(on.recoveryCriterion).toEqual({
      margin: 0.03,
      maxSteps: 100_000,
      checkEvery: 8192,
      episodes: 200,
    });
    expect(
      experimentForm.value(setAt(on, 'recoveryCriterion.margin', undefined), 'recoveryCriterion.margin'),
    ).toBe(0.03);
    // Turning it on again keeps what was edited; off removes it (the default null applies).
    const edited = setAt(on, 'recoveryCriterion.maxSteps', 4096);
    expect(withRecoveryCriterion(edited, true)).toBe(edited);
    expect(withRecoveryCriterion(edited, false)).not.toHaveProperty('recoveryCriterion');
    const small = experimentForm.validate(setAt(on, 'recoveryCriterion.maxSteps', 100));
    expect(small.ok ? [] : small.issues).toEqual([
      {
        path: 'recoveryCriterion.maxSteps',
        message: '100 is less than one PPO iteration (numEnvs × numSteps = 8192)',
      },
    ]);
    const margin = experimentForm.validate(setAt(on, 'recoveryCriterion.margin', 2));
    const issues = margin.ok ? [] : margin.issues;
    expect(issues.map((i) => i.path)).toEqual(['recoveryCriterion.margin']);
    // The designer edits both sections, so the JSON editor does not repeat their messages.
    expect(issuesOutside(issues, EXPERIMENT_FORM_PATHS)).toEqual([]);
    const positive = experimentForm.validate(setAt(draft, 'positiveControl', 'yes'));
    expect(positive.ok ? [] : issuesOutside(positive.issues, EXPERIMENT_FORM_PATHS)).toEqual([]);
    expect(positiveControlRewards(draft)).toEqual(['neg-coin', 'neg-gem']);
  });

  it('builds α grids and parses number lists', () => {
    expect(alphaGrid(0, 1, 0.1)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(alphaGrid(0, 1, 0.25)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() => alphaGrid(0, 1, 0)).toThrow(/step > 0/);
    expect(parseNumberList('0.5, 1')).toEqual([0.5, 1]);
    expect(parseNumberList('0.5 x')).toBeNull();
  });
});
