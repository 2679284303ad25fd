import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../../src-main/shared';
import {
  DEFAULT_ALPHAS,
  effectiveRbReward,
  ExperimentSpecSchema,
  rbTargetKind,
} from '../../../src-main/shared/experiment-spec';

function issues(raw: unknown): string {
  const result = ExperimentSpecSchema.safeParse(raw);
  if (result.success) throw new Error('the spec parsed');
  return describeIssues(result.error, 'spec');
}

describe('ExperimentSpecSchema', () => {
  it('fills every field from its defaults: a 7×7 maze, RA = cheese, one RB, α from 0 to 1 by 0.1', () => {
    const spec = ExperimentSpecSchema.parse({});
    expect(spec.env.size).toBe(7);
    expect(spec.ra).toEqual({ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} });
    expect(spec.rbs.map((rb) => rb.name)).toEqual(['coin']);
    expect(spec.alphas).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(DEFAULT_ALPHAS).toHaveLength(11);
    expect(spec).toMatchObject({ seeds: 1, nullControls: 1, knownAnswer: null, version: 1 });
  });

  it('documents every top-level field', () => {
    const fields = Object.entries(ExperimentSpecSchema.shape);
    expect(fields.length).toBeGreaterThan(20);
    for (const [key, field] of fields) {
      expect((field as { description?: string }).description, key).toBeTruthy();
    }
  });

  it('names the field of each mistake', () => {
    expect(issues({ rbs: [{ name: 'RA', collect: { coin: 1 } }] })).toContain('spec.rbs.0.name');
    expect(issues({ rbs: [{ name: 'x', collect: { diamond: 1 } }] })).toContain('spec.rbs.0.collect.diamond');
    expect(issues({ ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 }, recoverySteps: 10 })).toContain(
      'spec.recoverySteps',
    );
    expect(issues({ ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 3 } })).toContain(
      'spec.ppo.numMinibatches: the batch numEnvs × numSteps = 64 does not split into 3 minibatches',
    );
    expect(issues({ alphas: [0.5, 0.5] })).toContain('spec.alphas.1');
    expect(issues({ nullControls: 0 })).toContain('spec.aggregators');
    expect(issues({ seeds: 0 })).toContain('spec.seeds');
    expect(issues({ bogus: 1 })).toMatch(/bogus/);
    const localization = { rbNew: { name: 'coin', collect: { coin: 1 } }, aggregator: 'ties' };
    const text = issues({ aggregators: ['mean'], localization });
    expect(text).toContain('spec.localization.rbNew.name');
    expect(text).toContain('spec.localization.aggregator');
  });

  it('parses every preset in resources/experiments', () => {
    const dir = join(__dirname, '../../../resources/experiments');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['demo.json', 'tiny-5x5.json']));
    for (const file of files) {
      const result = ExperimentSpecSchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      expect(result.success, `${file}: ${result.success ? '' : describeIssues(result.error, file)}`).toBe(
        true,
      );
    }
  });
});

describe('RB rewards', () => {
  const ra = { name: 'RA', collect: { cheese: 1 }, stepCost: -0.01, reach: {} };

  it('adds the component to RA when addToRA is set, and uses it alone otherwise', () => {
    const rb = { name: 'gem', collect: { red_gem: 1, cheese: 0.5 }, stepCost: 0, reach: {}, addToRA: true };
    expect(effectiveRbReward(ra, rb)).toEqual({
      name: 'gem',
      collect: { cheese: 1.5, red_gem: 1 },
      stepCost: -0.01,
      reach: {},
    });
    expect(effectiveRbReward(ra, { ...rb, addToRA: false }).collect).toEqual({ red_gem: 1, cheese: 0.5 });
  });

  it('targets the kind the component weights most', () => {
    expect(
      rbTargetKind({ name: 'x', collect: { coin: 0.2, red_gem: 1 }, stepCost: 0, reach: {}, addToRA: false }),
    ).toBe('red_gem');
    expect(
      rbTargetKind({ name: 'x', collect: { coin: -1 }, stepCost: 0, reach: {}, addToRA: false }),
    ).toBeNull();
  });
});
