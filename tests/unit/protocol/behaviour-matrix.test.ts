import { describe, expect, it } from 'vitest';
import { behaviourMatrix, buildReportHtml } from '../../../src-main/protocol';
import { curvesFixture, reportFixture } from './report-fixture';

const iv = (estimate: number) => ({ estimate, low: estimate - 0.05, high: estimate + 0.05 });
const evaluation = (returns: Record<string, number>) => ({
  rewards: Object.entries(returns).map(([name, r]) => ({ name, meanReturn: iv(r), success: iv(r) })),
});

describe('behavioural similarity matrix', () => {
  // coin and gem: ρ ≈ 0 on random transitions, but MB:gem also collects coins (it learned "collect anything").
  const matrix = behaviourMatrix(
    ['RA', 'coin', 'gem'],
    [
      {
        policy: 'MA',
        ownReward: 'RA',
        checkpointId: 1,
        result: evaluation({ RA: 0.9, coin: 0.2, gem: 0.1 }),
      },
      {
        policy: 'MB:coin',
        ownReward: 'coin',
        checkpointId: 2,
        result: evaluation({ RA: 0.5, coin: 0.8, gem: 0.1 }),
      },
      {
        policy: 'MB:gem',
        ownReward: 'gem',
        checkpointId: 3,
        result: evaluation({ RA: 0.4, coin: 0.7, gem: 0.6 }),
      },
      { policy: 'MB:late', ownReward: 'late', checkpointId: null, result: null },
    ],
  );

  it('puts every policy under every reward, with regret vs the reward’s own policy', () => {
    expect(matrix.rewards).toEqual(['RA', 'coin', 'gem']);
    const regret = matrix.rows.map((r) =>
      r.cells.map((c) => (c.regret === null ? null : +c.regret.toFixed(6))),
    );
    expect(regret).toEqual([
      [0, 0.6, 0.5],
      [0.4, 0, 0.5],
      [0.5, 0.1, 0],
      [null, null, null],
    ]);
    expect(matrix.rows[2]!.cells[1]!.success!.estimate).toBe(0.7);
    expect(matrix.rows[3]!.cells[0]!.success).toBeNull();
  });

  it('is drawn in the report as a table per seed', () => {
    const report = reportFixture();
    report.seeds[0]!.behaviour = matrix;
    const html = buildReportHtml(report, curvesFixture());
    expect(html).toContain('<h3>Behaviour under every reward</h3>');
    expect(html).toContain('regret 0.10');
    expect(buildReportHtml(reportFixture(), curvesFixture())).not.toContain('Behaviour under every reward');
  });
});
