import type { PooledEffect, PooledLocalization } from '../shared/contract-protocol';
import {
  COMPARISON_STATUS_WORDS,
  LOCALIZATION_COMPARISON_LABELS,
  localizationVerdict,
  type LocalizationVerdict,
} from '../shared/localization-verdict';
import { DeltascopeError } from '../shared/errors';
import { formatIntervalNonZero, formatNumber } from './statements';

/**
 * The pooled localization test at one k in words, for the report's verdict paragraph and its pooled
 * statements (one text, so the two cannot disagree): each replication against its own full
 * fine-tune, top's fraction of it, top − random and top − each baseline with where its interval lies,
 * the pooled permutation p-value, and plainly a finding, a null result, or "not replicated".
 */

function pooling(p: PooledEffect): string {
  const how = p.method === 't-interval' ? 't-interval over replications' : 'hierarchical bootstrap';
  return p.replicated ? `R = ${p.replications}, ${how}` : `R = ${p.replications}: not replicated`;
}

const perReplication = (p: PooledEffect, percent: boolean): string =>
  p.perReplication.map((x) => formatNumber(percent ? x * 100 : x, percent ? 0 : 2, true)).join(', ');

export function pooledLocalizationText(
  pooled: PooledLocalization,
  kPercent: number,
  confidence: number,
): { verdict: LocalizationVerdict; text: string } {
  const verdict = localizationVerdict(pooled, kPercent, confidence);
  if (verdict === null) {
    throw new DeltascopeError('INTERNAL', `pooledLocalizationText: no pooled entry at k = ${kPercent} %`);
  }
  const gain = pooled.fullGain;
  const parts: string[] = [];
  parts.push(
    `each replication is measured against its own full fine-tune on ${pooled.rbNew}, whose gain over MA is ` +
      `${formatIntervalNonZero(gain, { signed: true })} in return (${pooling(gain)}; per replication ${perReplication(gain, false)})` +
      (pooled.excluded.length === 0
        ? ''
        : `; left out of the fractions: seed${pooled.excluded.length > 1 ? 's' : ''} ${pooled.excluded.join(', ')}, whose full fine-tune did not raise the mean return`),
  );
  if (verdict.top !== null) {
    parts.push(
      `The top-${kPercent} % mask recovers ${formatIntervalNonZero(verdict.top, { percent: true, signed: true })} of it (${pooling(verdict.top)}; per replication ${perReplication(verdict.top, true)} %)`,
    );
  }
  const pairs = verdict.comparisons.map((c) =>
    c.effect === null
      ? `top − ${LOCALIZATION_COMPARISON_LABELS[c.versus]}: not run`
      : `top − ${LOCALIZATION_COMPARISON_LABELS[c.versus]} ${formatIntervalNonZero(c.effect, { percent: true, signed: true })} (per replication ${perReplication(c.effect, true)}; ${COMPARISON_STATUS_WORDS[c.status]})`,
  );
  parts.push(`Paired per episode, in points of the full gain: ${pairs.join('; ')}`);
  const entry = pooled.ks.find((k) => k.kPercent === kPercent);
  if (entry?.randomNull) {
    const n = entry.randomNull;
    parts.push(
      `Among the random masks (${n.draws.join(', ')} draws per replication) the pooled permutation p = ${formatNumber(n.pValue, 3)}`,
    );
  }
  const beaten = verdict.comparisons
    .filter((c) => c.status === 'beats')
    .map((c) => LOCALIZATION_COMPARISON_LABELS[c.versus]);
  const conclusion = verdict.finding
    ? `Finding: the map's top-${kPercent} % carries ${pooled.rbNew} better than the random masks and every baseline.`
    : !verdict.replicated
      ? `Not replicated (${verdict.reason}).`
      : `Null result: the map's top-${kPercent} % is not shown to localize ${pooled.rbNew} — ${verdict.reason}` +
        (beaten.length === 0
          ? '; it beats none of the comparisons.'
          : `; it beats only ${beaten.join(', ')}.`);
  return { verdict, text: `${parts.join('. ')}. ${conclusion}` };
}
