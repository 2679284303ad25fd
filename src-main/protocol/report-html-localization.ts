import type { PooledLocalization } from '../shared';
import { buildIntervalForestOptions, FOREST_ROW_PX } from '../shared/charts/interval-forest-options';
import { pooledLocalizationForest } from '../shared/charts/localization-forest';
import { COMPARISON_STATUS_WORDS, headlineK } from '../shared/localization-verdict';
import { pooledLocalizationRows } from '../shared/tables/localization-tables';
import { e, figure, table } from './report-html-kit';
import { formatIntervalNonZero, formatNumber } from './statements';

/**
 * The localization test pooled across replications in the HTML report: the denominators (each
 * replication's own full fine-tune gain), then per k a forest plot (pooled interval, estimate, every
 * replication as a dot, the 0 line) and the table of shared/tables/localization-tables.ts.
 */

export function pooledLocalizationSection(pooled: PooledLocalization): string {
  const gain = pooled.fullGain;
  const head =
    `<p class="muted">Each replication is measured against its own full fine-tune on ${e(pooled.rbNew)} ` +
    `(denominator dᵣ = its mean return − its MA's): gain ${e(formatIntervalNonZero(gain, { signed: true }))} pooled over ` +
    `${e(gain.replications)} replication(s), per replication ${e(
      pooled.seeds
        .map((s, i) => `seed ${s}: ${formatNumber(gain.perReplication[i] ?? 0, 2, true)}`)
        .join(', '),
    )}` +
    (pooled.excluded.length === 0
      ? ''
      : `; seeds ${e(pooled.excluded.join(', '))} left out of the fractions (their full fine-tune did not gain)`) +
    `. A mask's value is (x̄ − MĀ)/dᵣ, a paired row (topₑ − Xₑ)/dᵣ per episode; pooled with a t-interval over ` +
    `replications when R ≥ 5, else a hierarchical bootstrap (replications, then episodes); R &lt; 3 is not replicated. ` +
    `Masks from the ${e(pooled.aggregator)} map${headlineK(pooled) === null ? '' : `; the verdict uses k = ${e(headlineK(pooled)!)} %`}.</p>`;
  const rows = pooledLocalizationRows(pooled);
  const ks = pooled.ks.map((k) => {
    const forest = pooledLocalizationForest(pooled, k.kPercent);
    const chart =
      forest.length === 0
        ? ''
        : figure(
            `k = ${k.kPercent} %: fraction of each replication's own full gain, pooled (dots: each replication)`,
            buildIntervalForestOptions({ rows: forest, xName: 'fraction of the full gain', percent: true }),
            {},
            { width: 1000, height: 60 + FOREST_ROW_PX * forest.length },
          );
    const p = k.randomNull;
    const rank =
      p === null
        ? ''
        : `<p class="muted">Top-k among the random masks: ${e(p.seeds.map((s, i) => `seed ${s}: ${p.atLeastTop[i]} of ${p.draws[i]} draws ≥ top`).join(', '))}; pooled permutation p = ${e(formatNumber(p.pValue, 3))}.</p>`;
    return (
      `<h3>k = ${e(k.kPercent)} %</h3>` +
      chart +
      rank +
      table(
        ['measure', 'R', 'pooled', 'per replication', 'vs 0'],
        rows
          .filter((r) => r.kPercent === k.kPercent)
          .map((r) => [
            e(r.label),
            e(r.effect.replications),
            e(formatIntervalNonZero(r.effect, { percent: true, signed: true })) +
              (r.effect.replicated ? '' : ' <strong>not replicated</strong>'),
            e(
              r.seeds
                .map((s, i) => `seed ${s}: ${formatNumber((r.effect.perReplication[i] ?? 0) * 100, 0, true)}`)
                .join(', '),
            ),
            r.status === null ? '' : e(COMPARISON_STATUS_WORDS[r.status]),
          ]),
      )
    );
  });
  return head + ks.join('');
}
