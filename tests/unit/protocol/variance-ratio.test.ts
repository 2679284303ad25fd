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

  it('is skipped, with the reason, below 3 null controls or 2 deltas of every objective', () => {
    const single = varianceRatio(
      objectiveGroups([{ label: 'coin', map: delta(1) }], [{ map: delta(0) }], 'RA'),
      'RA',
    );
    expect(single.status).toBe('skipped');
    expect(single.status === 'skipped' && single.reason).toContain('≥ 3 null controls');
    expect(single.groups).toEqual([
      { label: 'coin', size: 1 },
      { label: 'RA', size: 1 },
    ]);
    // research.json before: one fine-tune per RB and 2 nulls → 1 within-objective degree of freedom.
    const oneDf = varianceRatio(
      objectiveGroups([{ label: 'coin', map: delta(1) }], [{ map: delta(0) }, { map: delta(0.5) }], 'RA'),
      'RA',
    );
    expect(oneDf.status === 'skipped' && oneDf.reason).toContain('has 2');
    // 3 nulls but a single fine-tune of coin: still skipped, naming the thin objective.
    const thin = varianceRatio(
      objectiveGroups(
        [{ label: 'coin', map: delta(1) }],
        [{ map: delta(0) }, { map: delta(0.5) }, { map: delta(-0.5) }],
        'RA',
      ),
      'RA',
    );
    expect(thin.status === 'skipped' && thin.reason).toContain('coin has 1');
    const oneGroup = varianceRatio([{ label: 'coin', deltas: [delta(1), delta(2)] }], 'RA');
    expect(oneGroup.status === 'skipped' && oneGroup.reason).toContain('at least 2 objectives');
  });

  it('is between / within variance per parameter: large where objectives differ, 0 where they agree', () => {
    // Parameter 0: coin moves it by 1 ± 0.1, the null controls by 0 ± 0.1 → separates the objectives.
    // Parameter 1: every delta the same → no between-objective variance.
    const result = varianceRatio(
      objectiveGroups(
        [
          { label: 'coin', map: delta(1.1, 0.2) },
          { label: 'coin', map: delta(0.9, 0.2) },
        ],
        [{ map: delta(0.1, 0.2) }, { map: delta(-0.1, 0.2) }, { map: delta(0, 0.2) }],
        'RA',
      ),
      'RA',
    );
    expect(result.status).toBe('computed');
    if (result.status !== 'computed') return;
    const w = result.map.get('w')!.data;
    // x̄ = 0.4; between = 2·0.6² + 3·0.4² = 1.2 over 1; within = (0.02 + 0.02)/(5 − 2) → F = 90.
    expect(w[0]).toBeCloseTo(1.2 / (0.04 / 3), 2);
    expect(w[1]).toBe(0);
    expect(result.concentration[0]!.share).toBe(1);
  });
});
