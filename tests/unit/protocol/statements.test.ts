import { describe, expect, it } from 'vitest';
import { formatInterval, includesZero, reportStatements } from '../../../src-main/protocol';
import { pooledEffect } from '../../../src-main/engine/pooling';
import { iv, reportFixture } from './report-fixture';

function texts(report: ReturnType<typeof reportFixture>, topic?: string): string[] {
  return reportStatements(report)
    .filter((s) => topic === undefined || s.topic === topic)
    .map((s) => s.text);
}

describe('automatic report statements', () => {
  it('formats intervals with a real minus sign and as percentages', () => {
    expect(formatInterval({ estimate: -0.12, low: -0.2, high: -0.05 }, { signed: true })).toBe(
      '−0.12 [−0.20, −0.05]',
    );
    expect(formatInterval({ estimate: 0.71, low: 0.6, high: 0.8 }, { percent: true })).toBe('71% [60, 80]');
    expect(includesZero({ estimate: 0.1, low: -0.01, high: 0.2 })).toBe(true);
    expect(includesZero({ estimate: 0.1, low: 0.01, high: 0.2 })).toBe(false);
  });

  it("reports one replication's negation lean as a value, never a finding, with its interval vs control", () => {
    const statements = reportStatements(
      reportFixture({ negateLean: { estimate: -0.12, low: -0.2, high: -0.05 } }),
    );
    const coin = statements.find(
      (s) => s.topic === 'negation' && s.text.includes('Δ(coin)') && s.text.includes('−'),
    );
    expect(coin?.seed).toBe(1);
    expect(coin?.kind).toBe('note');
    expect(coin?.text).toContain(
      'MA − 1·Δ(coin), after recovery: −0.12 [−0.20, −0.05] in P(coin) vs control',
    );
    expect(coin?.text).not.toContain('null result');
    expect(statements.some((s) => s.topic === 'negation' && s.kind === 'finding')).toBe(false);
  });

  /** Per replication, 40 paired 0/1 differences whose mean is `effect`. */
  function episodes(effects: readonly number[]): number[][] {
    return effects.map((effect) =>
      Array.from({ length: 40 }, (_, e) => (e < Math.round(Math.abs(effect) * 40) ? Math.sign(effect) : 0)),
    );
  }
  const options = { resamples: 400, confidence: 0.95, seed: 3 };
  type Row = ReturnType<typeof reportFixture>['pooledNegation'][number];
  /** A pooled row of `variant` whose drop on the target and whose specificity contrast are `effects`. */
  function row(variant: Row['variant'], effects: readonly number[]): Row {
    const pooled = pooledEffect(episodes(effects), options);
    return {
      rb: 'coin',
      variant,
      alpha: 1,
      seeds: effects.map((_, r) => r + 1),
      targetCollectVsControl: pooled,
      raReturnVsControl: pooled,
      specificity: { perKind: [], raSuccessVsControl: pooled, contrast: pooled },
    };
  }
  /** −Δ(coin) with `effects`, and the three controls near 0 (or `controls` when given). */
  function pooledReport(
    effects: number[],
    controls: Partial<Record<'random' | 'null' | 'other', number[]>> = {},
  ): ReturnType<typeof reportFixture> {
    const report = reportFixture();
    const near0 = effects.map((_, r) => (r % 2 === 0 ? 0.025 : -0.025));
    report.pooledNegation = [
      row('negate', effects),
      ...(['random', 'null', 'other'] as const).map((c) => row(c, controls[c] ?? near0)),
    ];
    return report;
  }

  it('calls negation a finding only when its pooled contrast excludes 0 and beats every control', () => {
    const five = reportStatements(pooledReport([-0.2, -0.25, -0.2, -0.3, -0.25])).find(
      (s) => s.topic === 'negation' && s.seed === null,
    );
    expect(five?.kind).toBe('finding');
    expect(five?.text).toContain('MA − 1·Δ(coin), after recovery: specificity contrast');
    expect(five?.text).toContain('pooled over R = 5 replications (t-interval over replications)');
    expect(five?.text).toContain('per replication −0.20, −0.25, −0.20, −0.30, −0.25');
    expect(five?.text).toContain('random ');
    expect(five?.text).toContain('(beaten)');
    const three = reportStatements(pooledReport([-0.2, -0.25, -0.3])).find(
      (s) => s.seed === null && s.topic === 'negation',
    );
    expect(three?.kind).toBe('finding');
    expect(three?.text).toContain('R = 3 replications (hierarchical bootstrap)');
  });

  it("refuses the finding when a control's pooled interval overlaps negation's, and says so", () => {
    // −Δ_other lowers the target as much as −Δ(coin): a trained direction of the same norm does it too.
    const report = pooledReport([-0.2, -0.25, -0.2, -0.3, -0.25], { other: [-0.2, -0.2, -0.25, -0.3, -0.2] });
    const statements = reportStatements(report);
    const pooled = statements.find((s) => s.topic === 'negation' && s.seed === null);
    expect(pooled?.kind).toBe('null-result');
    expect(pooled?.text).toContain('other −0.23');
    expect(pooled?.text).toContain('(not beaten)');
    expect(pooled?.text).toContain(
      'Null result — negation is not shown to remove a targeted lean: the contrast does not beat other.',
    );
    expect(statements.some((s) => s.topic === 'negation' && s.kind === 'finding')).toBe(false);
    // A control that was not run cannot be beaten either.
    const missing = pooledReport([-0.2, -0.25, -0.2, -0.3, -0.25]);
    missing.pooledNegation = missing.pooledNegation.filter((r) => r.variant !== 'null');
    const text = reportStatements(missing).find((s) => s.topic === 'negation' && s.seed === null);
    expect(text?.kind).toBe('null-result');
    expect(text?.text).toContain('null: not run');
  });

  it('refuses the finding when the negated checkpoint did not recover to RA criterion in every replication', () => {
    const report = pooledReport([-0.2, -0.25, -0.2, -0.3, -0.25]);
    const negate = report.pooledNegation.find((r) => r.variant === 'negate')!;
    negate.stepsToCriterion = [4096, 8192, 2048, 4096, 4096];
    expect(reportStatements(report).find((s) => s.topic === 'negation' && s.seed === null)?.kind).toBe(
      'finding',
    );
    negate.stepsToCriterion = [4096, null, 2048, null, 4096];
    const pooled = reportStatements(report).find((s) => s.topic === 'negation' && s.seed === null);
    expect(pooled?.kind).toBe('null-result');
    expect(pooled?.text).toContain('recovered to RA criterion in only 3/5 replications');
  });

  it('says "not replicated" and never a finding when R < 3, however clear the interval', () => {
    for (const effects of [[-0.5], [-0.5, -0.5]]) {
      const report = pooledReport(effects);
      expect(report.pooledNegation[0]!.targetCollectVsControl!.high).toBeLessThan(0);
      const statements = reportStatements(report);
      const pooled = statements.find((s) => s.topic === 'negation' && s.seed === null);
      expect(pooled?.kind).toBe('note');
      expect(pooled?.text).toContain(`not replicated: R = ${effects.length} < 3 replications`);
      expect(statements.some((s) => s.topic === 'negation' && s.kind === 'finding')).toBe(false);
    }
  });

  it('says plainly when a negation CI includes 0 (null result)', () => {
    const statements = reportStatements(
      reportFixture({ negateLean: { estimate: -0.02, low: -0.09, high: 0.05 } }),
    );
    const coin = statements.find((s) => s.topic === 'negation' && s.text.startsWith('MA − 1·Δ(coin)'));
    expect(coin?.kind).toBe('null-result');
    expect(coin?.text).toContain('includes 0');
  });

  it('compares the top-k mask with a random mask in one replication: a note when the intervals separate, never a finding', () => {
    const separated = texts(reportFixture(), 'localization');
    expect(separated).toContain(
      "top-5% mask (mean map) recovers 71% [60, 80] of the full fine-tune's gain on blue vs 22% [15, 30] for random (one replication: only the pooled verdict can make it a finding).",
    );
    const overlapping = reportStatements(
      reportFixture({ topFraction: iv(0.3, 0.1), randomFraction: iv(0.25, 0.1) }),
    ).find((s) => s.topic === 'localization');
    expect(overlapping?.kind).toBe('null-result');
    expect(overlapping?.text).toContain('does not beat a random mask');
  });

  it("weighs one replication's top-k against M random masks and the baselines: a note (never a finding) only with p < 0.05 and every paired difference above 0", () => {
    const withControls = (saliency: { low: number; high: number }, pValue: number) => {
      const report = reportFixture();
      const loc = report.seeds[0]!.localization!;
      const localization = {
        ...loc,
        randomNull: [
          {
            kPercent: 5,
            draws: 20,
            drawMeans: Array.from({ length: 20 }, (_, i) => i / 100),
            topMean: 0.5,
            percentile: 1,
            pValue,
            band: { low: 0, high: 0.19 },
          },
        ],
        paired: [
          { kPercent: 5, versus: 'random' as const, difference: { estimate: 0.3, low: 0.2, high: 0.4 } },
          { kPercent: 5, versus: 'saliency' as const, difference: { estimate: 0.1, ...saliency } },
        ],
      };
      return reportStatements({ ...report, seeds: [{ ...report.seeds[0]!, localization }] }).find(
        (st) => st.topic === 'localization' && st.text.startsWith('top-5%'),
      )!;
    };
    const beats = withControls({ low: 0.05, high: 0.15 }, 1 / 21);
    expect(beats.kind).toBe('note');
    expect(beats.text).toContain('only the pooled verdict can make it a finding');
    expect(beats.text).toContain(
      'among 20 random 5% masks it ranks at the 100th percentile (permutation p = 0.05)',
    );
    expect(beats.text).toContain('top − saliency +0.10 [+0.05, +0.15]');
    const saliencyAsGood = withControls({ low: -0.05, high: 0.25 }, 1 / 21);
    expect(saliencyAsGood.kind).toBe('null-result');
    expect(saliencyAsGood.text).toContain('Not a finding');
    expect(withControls({ low: 0.05, high: 0.15 }, 0.3).kind).toBe('null-result');
  });

  it("reports MA's success on RA against the random-policy floor and each MB's success on its RB", () => {
    const success = reportStatements(reportFixture()).filter((s) => s.topic === 'success');
    expect(success[0]).toMatchObject({ kind: 'finding' });
    expect(success[0]!.text).toBe(
      'MA succeeds on RA in 87% [82, 92] of held-out episodes vs 12% [7, 17] for a uniform-random policy.',
    );
    expect(success[1]!.text).toBe('MB coin succeeds on coin in 70% [65, 75] vs 30% [25, 35] for MA.');
    const weak = reportStatements(reportFixture({ maSuccess: iv(0.15) })).find((s) => s.topic === 'success');
    expect(weak?.kind).toBe('null-result');
    expect(weak?.text).toContain('has not clearly learned RA');
  });

  it('passes reward-similarity warnings through and notes what concentration does not show', () => {
    expect(texts(reportFixture(), 'similarity')).toEqual(['coin and gem overlap: ρ = 0.40']);
    const mean = texts(reportFixture(), 'superposition')[0];
    expect(mean).toContain(
      'mean map puts 50% of its mass in policy.kernel (14% of the parameters; the null-drift map puts 15% there)',
    );
    expect(mean).toContain('does not show');
  });

  it('does not call sparse rewards close to orthogonal when their ρ is uninformative', () => {
    const quiet = reportFixture();
    quiet.similarity!.warnings = [];
    expect(texts(quiet, 'similarity')[0]).toContain('close to orthogonal');
    const sparse = reportFixture();
    sparse.similarity!.warnings = [
      {
        a: 'coin',
        b: 'gem',
        pearson: -0.007,
        kind: 'uninformative',
        eventRates: [0.007, 0.007],
        floor: -0.007,
        message: 'ρ(coin, gem) = -0.007 is uninformative',
      },
    ];
    const lines = texts(sparse, 'similarity');
    expect(lines.join(' ')).not.toContain('close to orthogonal');
    expect(lines[0]).toContain('does not show they are orthogonal');
    expect(lines[1]).toBe('ρ(coin, gem) = -0.007 is uninformative');
  });

  it('states the variance-ratio map when computed, and why when it was skipped', () => {
    const computed = reportFixture();
    const seed = computed.seeds[0]!;
    seed.superposition!.varianceRatio = {
      status: 'computed',
      groups: [
        { label: 'coin', size: 1 },
        { label: 'RA', size: 2 },
      ],
      artifactId: 9,
      concentration: [{ tensor: 'policy.kernel', count: 64, share: 0.8, sizeShare: 0.1, meanAbs: 0.2 }],
    };
    expect(texts(computed, 'superposition').at(-1)).toBe(
      'variance-ratio map (between / within objectives; coin ×1, RA ×2) puts 80% of its mass in policy.kernel (10% of the parameters).',
    );
    const skipped = reportFixture();
    skipped.seeds[0]!.superposition!.varianceRatio = {
      status: 'skipped',
      groups: [{ label: 'coin', size: 1 }],
      reason: 'every objective has a single delta',
    };
    expect(texts(skipped, 'superposition').at(-1)).toBe(
      'Variance-ratio map not computed (coin ×1): every objective has a single delta',
    );
  });
});
