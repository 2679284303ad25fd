import { describe, expect, it } from 'vitest';
import { objectiveGroups, varianceRatio } from '../../../src-main/protocol';
import { mapOf } from '../weights/helpers';

/** A one-tensor delta map `w` with the given values. */
const delta = (...values: number[]) => mapOf({ w: [[values.length], values] });

describe('variance ratio of deltas grouped by objective', () => {
  it('groups each RB by its label and the null controls as the RA group', () => {
    const groups = objectiveGroups(
      [
        { label: 'coin', map: delta(1) },
        { label: 'gem', map: delta(2) },
        { label: 'coin', map: delta(3) },
      ],
      [{ map: delta(0) }, { map: delta(0.5) }],
      'RA',
    );
    expect(groups.map((g) => [g.label, g.deltas.length])).toEqual([
      ['coin', 2],
      ['gem', 1],
      ['RA', 2],
    ]);
    expect(objectiveGroups([{ label: 'coin', map: delta(1) }], [], 'RA').map((g) => g.label)).toEqual([
      'coin',
    ]);
  });

  it('is skipped, with the reason, when every objective has one delta or only one objective has deltas', () => {
    const single = varianceRatio(
      objectiveGroups([{ label: 'coin', map: delta(1) }], [{ map: delta(0) }], 'RA'),
    );
    expect(single.status).toBe('skipped');
    expect(single.status === 'skipped' && single.reason).toContain('single delta');
    expect(single.groups).toEqual([
      { label: 'coin', size: 1 },
      { label: 'RA', size: 1 },
    ]);
    const oneGroup = varianceRatio([{ label: 'coin', deltas: [delta(1), delta(2)] }]);
    expect(oneGroup.status === 'skipped' && oneGroup.reason).toContain('at least 2 objectives');
  });

  it('is between / within variance per parameter: large where objectives differ, 0 where they agree', () => {
    // Parameter 0: coin moves it by 1, the null controls by ±0.1 → separates the objectives.
    // Parameter 1: every delta the same → no between-objective variance.
    const result = varianceRatio(
      objectiveGroups(
        [{ label: 'coin', map: delta(1, 0.2) }],
        [{ map: delta(0.1, 0.2) }, { map: delta(-0.1, 0.2) }],
        'RA',
      ),
    );
    expect(result.status).toBe('computed');
    if (result.status !== 'computed') return;
    const w = result.map.get('w')!.data;
    // x̄ = 1/3; between = (1·(1 − 1/3)² + 2·(0 − 1/3)²)/1 = 2/3; within = (0.01 + 0.01)/(3 − 2) = 0.02.
    expect(w[0]).toBeCloseTo(2 / 3 / 0.02, 3);
    expect(w[1]).toBe(0);
    expect(result.concentration[0]!.share).toBe(1);
  });
});
