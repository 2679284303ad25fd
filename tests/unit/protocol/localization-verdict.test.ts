import { describe, expect, it } from 'vitest';
import { reportVerdicts } from '../../../src-main/protocol';
import { pooledLocalizationText } from '../../../src-main/protocol/localization-text';
import { formatIntervalNonZero } from '../../../src-main/protocol/statements';
import type { PooledEffect, PooledLocalization } from '../../../src-main/shared';
import { localizationVerdict, statusOf } from '../../../src-main/shared/localization-verdict';
import { noSignalReplications, plantedReplications, pooled } from './localization-pooling-fixture';
import { reportFixture } from './report-fixture';

const paragraph = (p: PooledLocalization) =>
  reportVerdicts({ ...reportFixture(), pooledLocalization: p }).find((v) => v.question === 'localization')!;

/** Every "… (per replication …; above 0: beats it)" clause of a text, with the printed lower bound. */
function claimedBeats(text: string): { clause: string; low: number }[] {
  return [
    ...text.matchAll(
      /top − ([^;]+?) ([+−]?[\d.]+)% \[([+−]?[\d.]+), [^\]]+\] \(per replication [^;]+; above 0: beats it\)/g,
    ),
  ].map((m) => ({ clause: m[0], low: Number(m[3]!.replace('−', '-')) }));
}

function effect(estimate: number, low: number, high: number, replications = 3): PooledEffect {
  return {
    method: 'hierarchical-bootstrap',
    replications,
    replicated: replications >= 3,
    estimate,
    low,
    high,
    perReplication: Array.from({ length: replications }, () => estimate),
  };
}

describe('localization verdict pooled across replications', () => {
  it('a planted top-k that truly carries the objective beats random and every baseline: a finding', () => {
    const v = paragraph(pooled(plantedReplications(3)));
    expect(v.kind).toBe('finding');
    expect(v.text).toContain('each replication is measured against its own full fine-tune on blue');
    expect(v.text).toContain('R = 3, hierarchical bootstrap');
    expect(v.text).toContain('pooled permutation p = 0.005');
    for (const label of ['random masks', 'null-drift top k', 'gradient-saliency top k', 'Fisher top k']) {
      expect(v.text).toMatch(new RegExp(`top − ${label} \\+[\\d.]+% \\[\\+[\\d.]+, `));
    }
    expect(claimedBeats(v.text)).toHaveLength(4);
    expect(v.text).toContain(
      "Finding: the map's top-20 % carries blue better than the random masks and every baseline.",
    );
    expect(v.text).not.toContain('not in this report');
  });

  it('with no signal (top-k is one more random draw) the verdict is a null result, said plainly', () => {
    const p = pooled(noSignalReplications(3));
    const v = paragraph(p);
    expect(v.kind).toBe('null-result');
    expect(v.text).toContain("Null result: the map's top-20 % is not shown to localize blue");
    expect(v.text).not.toContain('Finding');
    const verdict = localizationVerdict(p, 20, 0.95)!;
    expect(verdict.comparisons.find((c) => c.versus === 'random')!.status).not.toBe('beats');
    // Whatever it says, a comparison is "beaten" only where the printed lower bound is above 0.
    for (const claim of claimedBeats(v.text)) expect(claim.low, claim.clause).toBeGreaterThan(0);
  });

  it('never says "beats" of an interval that touches or includes 0, and prints a small positive bound as non-zero', () => {
    const planted = pooled(plantedReplications(3));
    const k = planted.ks[0]!;
    const touching: PooledLocalization = {
      ...planted,
      ks: [
        {
          ...k,
          paired: k.paired.map((p) =>
            p.versus === 'null-drift' ? { ...p, effect: effect(0.004, 0, 0.01) } : p,
          ),
        },
      ],
    };
    const v = paragraph(touching);
    expect(v.kind).toBe('null-result');
    expect(v.text).toContain('top − null-drift top k +0.4% [0.0, +1.0]');
    expect(v.text).toContain('touches or includes 0: does not beat it');
    expect(v.text).toContain('it beats only random masks, gradient-saliency top k, Fisher top k');
    expect(statusOf(effect(0.004, 0, 0.01))).toBe('includes-0');
    // A small but positive lower bound keeps its digits: "+0.1", never "0" beside "beats".
    expect(formatIntervalNonZero(effect(0.004, 0.001, 0.01), { percent: true, signed: true })).toBe(
      '+0.4% [+0.1, +1.0]',
    );
    expect(statusOf(effect(0.004, 0.001, 0.01))).toBe('beats');
  });

  it('a baseline that was not run cannot be beaten, and an unreplicated test makes no claim', () => {
    const planted = pooled(plantedReplications(3));
    const k = planted.ks[0]!;
    const noFisher: PooledLocalization = {
      ...planted,
      ks: [{ ...k, paired: k.paired.filter((p) => p.versus !== 'fisher') }],
    };
    const v = paragraph(noFisher);
    expect(v.kind).toBe('null-result');
    expect(v.text).toContain('top − Fisher top k: not run');
    expect(v.text).toContain('does not lie above 0 for X = Fisher top k (not run)');
    const two = pooledLocalizationText(pooled(plantedReplications(2)), 20, 0.95);
    expect(two.verdict.finding).toBe(false);
    expect(two.text).toContain('Not replicated (R = 2 < 3 replications: no claim either way).');
    expect(two.text).not.toContain('beats it');
  });

  it('says the fractions mean nothing when the full fine-tunes do not gain', () => {
    const planted = pooled(plantedReplications(3));
    const v = paragraph({ ...planted, fullGain: effect(0.01, -0.02, 0.04) });
    expect(v.kind).toBe('null-result');
    expect(v.text).toContain(
      "the full fine-tunes' gain on blue does not exclude 0, so a fraction of it means nothing",
    );
  });
});
