import { describe, expect, it } from 'vitest';
import { pooledEffect } from '../../../src-main/engine/pooling';
import { buildReportHtml, reportVerdicts } from '../../../src-main/protocol';
import type { PooledNegationRow, ReportSeed } from '../../../src-main/shared';
import { plantedReplications, pooled } from './localization-pooling-fixture';
import type { SpikeInData } from '../../../src-main/shared/known-answer-checks';
import { reportFixture } from './report-fixture';

/** The fixture's seed replicated R times, its top-mask fraction shifted per replication. */
function replicated(R: number): ReturnType<typeof reportFixture> {
  const report = reportFixture();
  const seed = report.seeds[0]!;
  report.seeds = Array.from({ length: R }, (_, r): ReportSeed => {
    const copy = structuredClone(seed);
    copy.seed = r + 1;
    for (const row of copy.localization!.rows) {
      if (row.selection === 'top') row.fractionOfFull = { estimate: 0.7 + 0.02 * r, low: 0.6, high: 0.8 };
    }
    return copy;
  });
  return report;
}

function row(variant: PooledNegationRow['variant'], effects: number[]): PooledNegationRow {
  const episodes = effects.map((x) =>
    Array.from({ length: 40 }, (_, e) => (e < Math.round(Math.abs(x) * 40) ? Math.sign(x) : 0)),
  );
  const p = pooledEffect(episodes, { resamples: 300, confidence: 0.95, seed: 1 });
  return {
    rb: 'coin',
    variant,
    alpha: 1,
    seeds: effects.map((_, r) => r + 1),
    targetCollectVsControl: p,
    raReturnVsControl: p,
    specificity: { perKind: [], raSuccessVsControl: p, contrast: p },
    stepsToCriterion: effects.map((_, r) => (r === 0 ? null : 4096)),
  };
}

describe('report verdicts', () => {
  it('opens with one paragraph per question and says plainly which checks were not run', () => {
    const verdicts = reportVerdicts(reportFixture());
    expect(verdicts.map((v) => v.question)).toEqual([
      'negation',
      'superposition',
      'localization',
      'known-answer',
    ]);
    expect(verdicts[0]).toMatchObject({ kind: 'not-run' });
    expect(verdicts[3]).toMatchObject({ kind: 'not-run' });
    expect(verdicts[3]!.text).toContain('not run');
    // No pooled localization in the fixture: said plainly, not guessed from one replication's table.
    expect(verdicts[2]).toMatchObject({ kind: 'not-run' });
    const one = reportVerdicts({ ...reportFixture(), pooledLocalization: pooled(plantedReplications(1)) });
    expect(one[2]!.kind).toBe('note');
    expect(one[2]!.text).toContain('R = 1: not replicated');
    expect(one[2]!.text).toContain('Not replicated');
    expect(one[2]!.text).not.toContain('Finding');
  });

  it('pools superposition across replications, naming the controls beaten and not', () => {
    const [superposition] = reportVerdicts(replicated(3)).slice(1);
    // mean concentrates on policy.kernel beyond its size and the null map; median on dense1 below its size.
    expect(superposition!.text).toContain('mean concentrates on policy.kernel');
    expect(superposition!.text).toContain('beats both');
    expect(superposition!.text).toContain('median concentrates on torso.dense1.kernel');
    expect(superposition!.text).toContain('does not beat the null drift');
    // median's share of dense1 is wholly below the null map's: said so, not "includes 0".
    const median = superposition!.text.split('. ').find((part) => part.startsWith('median concentrates'))!;
    expect(median).toContain('its share is below the null-drift map’s');
    expect(superposition!.kind).toBe('note');
  });

  it('prints a small positive excess with enough digits: never a bound shown as 0 beside "beats"', () => {
    const report = replicated(3);
    // mean's policy.kernel share (0.5) exceeds the null-drift map's by 0.2, 0.3 and 0.4 points.
    report.seeds.forEach((seed, r) => {
      const nullMap = seed.superposition!.nullMap!;
      nullMap.concentration = nullMap.concentration.map((c) =>
        c.tensor === 'policy.kernel' ? { ...c, share: 0.498 - 0.001 * r } : c,
      );
    });
    const [, superposition] = reportVerdicts(report);
    const mean = superposition!.text.split('. ').find((part) => part.startsWith('mean concentrates'))!;
    expect(mean).toMatch(/share − null-drift map's share \+0\.3% \[\+0\.2\d*, \+0\.4\d*\]/);
    expect(mean).toContain('beats both');
    expect(superposition!.text).not.toMatch(/\[0, /);
  });

  it('calls negation a finding only when −Δ beats every control, and lists the one it failed to beat', () => {
    const report = replicated(3);
    const near0 = [0.025, -0.025, 0.025];
    report.pooledNegation = [
      row('negate', [-0.3, -0.25, -0.3]),
      row('random', near0),
      row('null', near0),
      row('other', near0),
    ];
    // Beating every control is not enough while one replication's −Δ did not recover to criterion.
    const [unrecovered] = reportVerdicts(report);
    expect(unrecovered!.kind).toBe('null-result');
    expect(unrecovered!.text).toContain('recovered in 2/3 replications');
    report.pooledNegation[0]!.stepsToCriterion = [2048, 4096, 4096];
    const [win] = reportVerdicts(report);
    expect(win!.kind).toBe('finding');
    expect(win!.text).toContain('beat random, null, other');
    expect(win!.text).toContain('recovered in 3/3 replications');
    report.pooledNegation[3] = row('other', [-0.3, -0.25, -0.25]);
    const [lose] = reportVerdicts(report);
    expect(lose!.kind).toBe('null-result');
    expect(lose!.text).toContain('failed to beat other');
    expect(lose!.text).toContain('Negation is not shown to remove a targeted lean for any RB (null result).');
    const html = buildReportHtml({ ...report, verdicts: reportVerdicts(report) }, []);
    expect(html.indexOf('<h2>Verdicts</h2>')).toBeLessThan(html.indexOf('<h2>Statements</h2>'));
    expect(html).toContain('data-question="negation"');
  }, 30_000);

  it('says an RB without an object target is not tested for specificity, and counts findings among those with one', () => {
    const report = replicated(3);
    const near0 = [0.025, -0.025, 0.025];
    const recovered = (r: PooledNegationRow): PooledNegationRow => ({
      ...r,
      stepsToCriterion: [2048, 4096, 4096],
    });
    const corner = (variant: PooledNegationRow['variant']): PooledNegationRow => {
      const r = recovered(row(variant, near0));
      return { ...r, rb: 'corner', specificity: { ...r.specificity!, contrast: null } };
    };
    report.spec = { ...report.spec, rbs: [...report.spec.rbs, { ...report.spec.rbs[0]!, name: 'corner' }] };
    report.pooledNegation = [
      recovered(row('negate', [-0.3, -0.25, -0.3])),
      row('random', near0),
      row('null', near0),
      row('other', near0),
      ...(['negate', 'random', 'null', 'other'] as const).map(corner),
    ];
    const [negation] = reportVerdicts(report);
    expect(negation!.text).toContain('corner: no specificity contrast');
    expect(negation!.text).toContain('recovered in 3/3 replications — not tested');
    expect(negation!.text).not.toContain('(not run)');
    expect(negation!.text).toContain(
      'Negation is a finding for coin of the 1 RB(s) with an object target (1 without one have no specificity contrast).',
    );
  });

  it('pools the known-answer checks over replications: fewer than 3 is "not replicated", a failing replication is no finding', () => {
    const report = reportFixture();
    const spike = (seed: number, detectionSnr: number | null): SpikeInData => ({
      format: 'deltascope.protocol.spike-in/1',
      seed,
      base: 1,
      rbInputs: [2],
      nullInputs: [3],
      block: { tensor: 'torso.dense1.kernel', start: 0, length: 40 },
      nullSd: 0.01,
      k: 40,
      parameters: 4000,
      chance: 0.01,
      passPrecision: 0.5,
      passSnr: 2,
      snrs: [2, 1, 0.5, 0],
      aggregators: [
        {
          aggregator: 'mean',
          precision: [0.9, 0.6, 0.3, 0.01],
          detectionSnr,
          pass: detectionSnr !== null,
        },
      ],
      pass: detectionSnr !== null,
      verdict: detectionSnr === null ? 'no aggregator sees the block' : 'mean sees the block',
    });
    const withChecks = (snrs: readonly (number | null)[]) => {
      const seeds = snrs.map((snr, r) => ({
        ...report.seeds[0]!,
        seed: r + 1,
        spikeIn: spike(r + 1, snr),
        groundTruth: null,
      }));
      return reportVerdicts({ ...report, spec: { ...report.spec, seeds: 3 }, seeds })[3]!;
    };
    const one = withChecks([1]);
    expect(one.kind).toBe('note');
    expect(one.text).toContain('1 of 3 replications checked');
    expect(one.text).toContain('Not replicated');
    const all = withChecks([1, 0.5, 1]);
    expect(all.kind).toBe('finding');
    expect(all.text).toContain('passed in 3/3');
    expect(all.text).toContain('mean detects it in 3/3 (down to SNR 0.50–1.00)');
    expect(all.text).toContain('observation ground truth: not run');
    const broken = withChecks([1, null, 1]);
    expect(broken.kind).toBe('note');
    expect(broken.text).toContain('passed in 2/3');
    expect(broken.text).toContain('Not passed: the spike-in failed in 1/3 replications.');
    expect(withChecks([null, null, null]).kind).toBe('null-result');
  });
});
