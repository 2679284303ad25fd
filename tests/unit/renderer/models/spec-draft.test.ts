import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OBJECT_KINDS, TrainingSpecSchema } from '@shared';
import { ExperimentSpecSchema } from '@shared/experiment-spec';
import { TRAINING_PRESETS } from '../../../../src-renderer/components/training/training-presets';
import {
  EXPERIMENT_FORM_PATHS,
  experimentForm,
  newRb,
} from '../../../../src-renderer/models/protocol-spec-form';
import {
  copyDraft,
  getAt,
  issuesOutside,
  issuesUnder,
  parseDraftText,
  pathKeys,
  rewardRow,
  setAt,
  type FieldPath,
  type SpecDraft,
  type SpecForm,
} from '../../../../src-renderer/models/spec-draft';
import {
  TRAINING_FORM_PATHS,
  newTrainingReward,
  trainingForm,
} from '../../../../src-renderer/models/training-spec-form';

const EXPERIMENT_PRESETS = readdirSync(join(process.cwd(), 'resources', 'experiments'))
  .filter((file) => file.endsWith('.json'))
  .map(
    (file) =>
      JSON.parse(readFileSync(join(process.cwd(), 'resources', 'experiments', file), 'utf8')) as SpecDraft,
  );

/** The edits a user makes through the shared fields and table, written the way the components write them. */
function editLikeAUser(
  form: SpecForm<unknown>,
  draft: SpecDraft,
  list: FieldPath,
  row: (d: SpecDraft) => unknown,
) {
  let next = setAt(draft, 'env.size', 9);
  next = setAt(next, 'env.horizon', 48);
  next = setAt(next, 'env.kinds', [...OBJECT_KINDS]);
  next = form.materialize(next, list);
  const count = form.rewards(next, list).length;
  next = setAt(next, `${list}.${count}`, row(next));
  next = setAt(form.materialize(next, list), `${list}.${count}.collect.red_gem`, 2);
  return setAt(next, `${list}.${count}.stepCost`, -0.01);
}

describe('addressing a draft by dotted field path', () => {
  it('reads and writes nested objects and arrays in copies; undefined removes the key', () => {
    const draft = { env: { size: 5 }, rewards: [{ name: 'RA', collect: { cheese: 1 } }] };
    expect(pathKeys('rewards.0.collect.cheese')).toEqual(['rewards', 0, 'collect', 'cheese']);
    expect(getAt(draft, 'rewards.0.collect.cheese')).toBe(1);
    expect(getAt(draft, 'rewards.3.name')).toBeUndefined();
    const next = setAt(draft, 'rewards.0.collect.coin', 2);
    expect(getAt(next, 'rewards.0.collect')).toEqual({ cheese: 1, coin: 2 });
    expect(getAt(draft, 'rewards.0.collect')).toEqual({ cheese: 1 });
    expect(setAt(draft, 'net.kind', 'cnn')).toMatchObject({ net: { kind: 'cnn' }, env: { size: 5 } });
    expect('env' in setAt(setAt(draft, 'env.size', undefined), 'env', undefined)).toBe(false);
  });

  it('sorts issues to the field at or above their path, the rest to the JSON editor', () => {
    const issues = [
      { path: 'rbs.0.name', message: 'a' },
      { path: 'rbsX', message: 'b' },
      { path: 'ppo.numMinibatches', message: 'c' },
      { path: '', message: 'd' },
    ];
    expect(issuesUnder(issues, 'rbs').map((i) => i.message)).toEqual(['a']);
    expect(issuesUnder(issues, '').map((i) => i.message)).toEqual(['d']);
    expect(issuesOutside(issues, ['rbs', 'rbsX']).map((i) => i.message)).toEqual(['c', 'd']);
  });

  it('explains text that is not a JSON object', () => {
    expect(parseDraftText('{"run": "x"}')).toEqual({ ok: true, draft: { run: 'x' } });
    const broken = parseDraftText('{"run": ');
    expect(broken.ok === false && broken.message).toMatch(/^Not valid JSON/);
    const list = parseDraftText('[1]');
    expect(list.ok === false && list.message).toContain('JSON object');
  });

  it('reads a reward as a row over the env kinds', () => {
    expect(
      rewardRow({ name: 'gem', collect: { red_gem: 2, blue_gem: 1 }, addToRA: true }, ['coin', 'red_gem']),
    ).toEqual({
      name: 'gem',
      weights: { coin: 0, red_gem: 2 },
      stepCost: 0,
      addToRA: true,
    });
    expect(rewardRow(42, ['coin'])).toEqual({ name: '', weights: { coin: 0 }, stepCost: 0, addToRA: false });
  });
});

describe('one draft model for both spec forms', () => {
  it('turns every preset, edited through the shared fields and table, into a spec the contract accepts', () => {
    expect(TRAINING_PRESETS.length).toBeGreaterThan(0);
    for (const preset of TRAINING_PRESETS) {
      const draft = editLikeAUser(trainingForm, copyDraft(preset.spec), 'rewards', newTrainingReward);
      const result = trainingForm.validate(draft);
      expect(result.ok ? [] : result.issues).toEqual([]);
      expect(result.ok && result.spec).toEqual(TrainingSpecSchema.parse(draft));
      expect(result.ok && result.spec.env).toMatchObject({
        size: 9,
        horizon: 48,
        kinds: [...OBJECT_KINDS],
      });
      expect(result.ok && result.spec.rewards.at(-1)).toMatchObject({
        collect: { red_gem: 2 },
        stepCost: -0.01,
      });
    }
    expect(EXPERIMENT_PRESETS.length).toBeGreaterThan(0);
    for (const preset of EXPERIMENT_PRESETS) {
      const draft = editLikeAUser(experimentForm, copyDraft(preset), 'rbs', newRb);
      const result = experimentForm.validate(draft);
      expect(result.ok ? [] : result.issues).toEqual([]);
      expect(result.ok && result.spec).toEqual(ExperimentSpecSchema.parse(draft));
      expect(result.ok && result.spec.rbs.at(-1)).toMatchObject({ collect: { red_gem: 2 }, stepCost: -0.01 });
    }
  });

  it("puts the schema's own message at the path of the field that edits it, in both forms", () => {
    const cases: [SpecForm<unknown>, SpecDraft, readonly FieldPath[]][] = [
      [trainingForm, copyDraft(TRAINING_PRESETS[0]!.spec), TRAINING_FORM_PATHS],
      [experimentForm, copyDraft(EXPERIMENT_PRESETS[0]!), EXPERIMENT_FORM_PATHS],
    ];
    for (const [form, draft, formPaths] of cases) {
      const list = form === trainingForm ? 'rewards' : 'rbs';
      const oddSize = form.validate(setAt(draft, 'env.size', 6));
      expect(oddSize.ok === false && oddSize.issues).toEqual([
        { path: 'env.size', message: 'size must be odd' },
      ]);
      // A reward naming a kind the maze lacks is refused at that reward's weight, under the table.
      const narrow = setAt(draft, 'env.kinds', ['cheese']);
      const result = form.validate(setAt(form.materialize(narrow, list), `${list}.0.collect.coin`, 1));
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(issuesUnder(result.issues, `${list}.0`)).toEqual([
        { path: `${list}.0.collect.coin`, message: 'kind "coin" is not in env.kinds (cheese)' },
      ]);
      // Each message shows under exactly one field, or in the JSON editor.
      for (const issue of result.issues) {
        const fields = formPaths.filter((path) => issuesUnder([issue], path).length > 0);
        expect(fields).toHaveLength(1);
      }
      expect(issuesOutside(result.issues, formPaths)).toEqual([]);
    }
  });
});
