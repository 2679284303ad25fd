import { describe, expect, it } from 'vitest';
import {
  MOVABLE_RULE,
  movableRuleOf,
  movableSet,
  relevanceMask,
  reportStatements,
} from '../../../src-main/protocol';
import { reportFixture } from './report-fixture';
import { mapOf } from '../weights/helpers';

/**
 * A toy replication: `dense` has 10 parameters, the last 5 reading an input that never varies, so no
 * fine-tune moves them (Δ = 0 in every fine-tune) and the relevance map is 0 there.
 */
const base = mapOf({ dense: [[10], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], bias: [[2], [0, 0]] });
const tunedA = mapOf({ dense: [[10], [1.5, 1.1, 1.3, 0.9, 1.01, 1, 1, 1, 1, 1]], bias: [[2], [0.2, 0]] });
const tunedB = mapOf({ dense: [[10], [1.4, 1.2, 1.1, 1, 0.98, 1, 1, 1, 1, 1]], bias: [[2], [0.1, 0]] });
/** |mean Δ| of the two fine-tunes. */
const relevance = mapOf({
  dense: [[10], [0.45, 0.15, 0.2, 0.05, 0.005, 0, 0, 0, 0, 0]],
  bias: [[2], [0.15, 0]],
});
const selectedIn = (masks: { name: string; data: Float32Array }[], name: string): number[] =>
  [...masks.find((m) => m.name === name)!.data].flatMap((v, i) => (v === 1 ? [i] : []));

describe('movable set', () => {
  it('is every parameter some fine-tune of the replication changed, and counts the rest as excluded', () => {
    const { movable, count, total } = movableSet(base, [tunedA, tunedB]);
    expect([...movable.get('dense')!]).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect([...movable.get('bias')!]).toEqual([1, 0]);
    expect({ count, total }).toEqual({ count: 6, total: 12 });
    expect(movableRuleOf(['s1/finetune/coin', 's1/localize/full'])).toBe(
      `${MOVABLE_RULE} (s1/finetune/coin, s1/localize/full)`,
    );
  });

  it('refuses a fine-tune of another network with SHAPE_MISMATCH naming the tensor', () => {
    expect(() => movableSet(base, [mapOf({ dense: [[3], [1, 2, 3]], bias: [[2], [0, 0]] })])).toThrow(
      /fine-tune 0 has 3 elements in tensor `dense` \(MA has 10\)/,
    );
  });
});

describe('relevanceMask restricted to movable parameters', () => {
  const { movable } = movableSet(base, [tunedA, tunedB]);

  it('makes the bottom-k mask choose movable parameters, not the dead ones a fine-tune cannot change', () => {
    // Unrestricted, "bottom 25 %" is 3 of the 12 parameters, all immovable: training it changes nothing.
    const unrestricted = relevanceMask(relevance, 'bottom', 25, 1);
    expect(selectedIn(unrestricted.masks, 'dense').every((i) => movable.get('dense')![i] === 0)).toBe(true);
    // Restricted, it is 25 % of the 6 movable ones (2): the least relevant of those that can move.
    const bottom = relevanceMask(relevance, 'bottom', 25, 1, movable);
    expect(bottom).toMatchObject({ selected: 2, total: 12, movable: 6 });
    expect(selectedIn(bottom.masks, 'dense')).toEqual([3, 4]);
    expect(selectedIn(bottom.masks, 'bias')).toEqual([]);
  });

  it('draws top and random k % as fractions of the movable set, reproducibly', () => {
    const top = relevanceMask(relevance, 'top', 50, 1, movable);
    expect(top.selected).toBe(3);
    // 0.45, 0.2, then the tie at 0.15 taken in map order (dense before bias).
    expect(selectedIn(top.masks, 'dense')).toEqual([0, 1, 2]);
    expect(selectedIn(top.masks, 'bias')).toEqual([]);
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = relevanceMask(relevance, 'random', 50, seed, movable);
      const picked = [
        ...selectedIn(random.masks, 'dense').map((i) => movable.get('dense')![i]),
        ...selectedIn(random.masks, 'bias').map((i) => movable.get('bias')![i]),
      ];
      expect(picked).toEqual([1, 1, 1]);
      expect(relevanceMask(relevance, 'random', 50, seed, movable)).toEqual(random);
    }
  });

  it('refuses a replication whose fine-tunes moved nothing', () => {
    const { movable: none } = movableSet(base, [base]);
    expect(() => relevanceMask(relevance, 'top', 5, 1, none)).toThrow(/no parameter is movable/);
  });
});

describe('the report on movable parameters', () => {
  it('states how many parameters the masks excluded and why', () => {
    const report = reportFixture();
    const table = report.seeds[0]!.localization!;
    table.movableRule = MOVABLE_RULE;
    for (const row of table.rows) row.movable = Math.round(row.total * 0.52);
    const note = reportStatements(report).find(
      (s) => s.topic === 'localization' && s.text.startsWith('Masks are drawn'),
    );
    const { total } = table.rows[0]!;
    expect(note?.kind).toBe('note');
    expect(note?.text).toContain(
      `among the ${Math.round(total * 0.52)} of ${total} parameters that can move`,
    );
    expect(note?.text).toContain(
      `${total - Math.round(total * 0.52)} were excluded (non-zero Δ from MA in at least one fine-tune`,
    );
  });
});
