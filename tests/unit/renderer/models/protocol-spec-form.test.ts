import { describe, expect, it } from 'vitest';
import {
  alphaGrid,
  experimentRbs,
  experimentValue,
  freshRbName,
  issuesUnder,
  materialize,
  parseNumberList,
  setExperimentValue,
  similarityRequest,
  validateExperimentDraft,
} from '../../../../src-renderer/models/protocol-spec-form';

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
    expect(experimentValue(draft, 'env.size')).toBe(5);
    expect(experimentValue(draft, 'pretrainSteps')).toBe(1_000_000);
    expect(experimentValue(draft, 'rbs.1.name')).toBe('gem');
    const next = setExperimentValue(draft, 'rbs.0.collect.coin', 3);
    expect(experimentValue(next, 'rbs.0.collect.coin')).toBe(3);
    expect(experimentValue(draft, 'rbs.0.collect.coin')).toBe(1);
    expect(experimentValue(setExperimentValue(draft, 'env.size', undefined), 'env.size')).toBe(7);
  });

  it('lists the RBs as rows with a weight per env kind', () => {
    expect(experimentRbs(draft)).toEqual([
      { name: 'coin', weights: { cheese: 0, coin: 1, red_gem: 0 }, stepCost: 0, addToRA: false },
      { name: 'gem', weights: { cheese: 0, coin: 0, red_gem: 2 }, stepCost: 0, addToRA: true },
    ]);
    expect(freshRbName(draft)).toBe('rb1');
    // A defaulted list is copied into the draft before one entry is edited.
    expect(experimentValue(materialize({}, 'rbs'), 'rbs')).toEqual([
      { name: 'coin', collect: { coin: 1 }, stepCost: 0, reach: {}, addToRA: false },
    ]);
  });

  it('sorts schema issues to their paths, e.g. a reward naming a kind the env lacks', () => {
    const bad = setExperimentValue(draft, 'rbs.0.collect.blue_gem', 1);
    const result = validateExperimentDraft(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const rbIssues = issuesUnder(result.issues, 'rbs');
    expect(rbIssues.map((i) => i.path)).toContain('rbs.0.collect.blue_gem');
    expect(issuesUnder(result.issues, 'rb')).toEqual([]);
    expect(validateExperimentDraft(draft).ok).toBe(true);
  });

  it('asks the similarity of RA and the effective RBs (RA plus the component when addToRA)', () => {
    const request = similarityRequest(draft);
    expect(request?.rewards.map((r) => [r.name, r.collect])).toEqual([
      ['RA', { cheese: 1 }],
      ['coin', { coin: 1 }],
      ['gem', { cheese: 1, red_gem: 2 }],
    ]);
    expect(similarityRequest(setExperimentValue(draft, 'rbs.0.name', ''))).toBeNull();
    expect(similarityRequest(setExperimentValue(draft, 'rbs.0.name', 'gem'))).toBeNull();
  });

  it('builds α grids and parses number lists', () => {
    expect(alphaGrid(0, 1, 0.1)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(alphaGrid(0, 1, 0.25)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(() => alphaGrid(0, 1, 0)).toThrow(/step > 0/);
    expect(parseNumberList('0.5, 1')).toEqual([0.5, 1]);
    expect(parseNumberList('0.5 x')).toBeNull();
  });
});
