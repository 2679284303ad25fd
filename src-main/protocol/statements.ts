import type {
  LocalizationData,
  NegationTableData,
  PooledEffect,
  PooledNegationRow,
  ProtocolReport,
  ReportSeed,
  ReportStatement,
  RewardSimilarityResult,
  SuperpositionData,
  KnownAnswerData,
} from '../shared';
import { formatNumber } from '../shared/interval-format';
import { methodRow, negationVerdict } from '../shared/negation-verdict';

export { formatIntervalNonZero, formatNumber } from '../shared/interval-format';

/**
 * Short sentences saying what the report's numbers show and what they do not. Every interval is
 * printed as `estimate [low, high]`; an interval that includes 0 is called a null result in so many
 * words; a comparison is a finding only when the two intervals do not overlap. A negation effect is a
 * finding only pooled over ≥ 3 replications (engine/pooling.ts); with fewer it says "not replicated".
 */

type Interval = { estimate: number; low: number; high: number };
type StatementInput = Pick<ProtocolReport, 'spec' | 'similarity' | 'seeds'> &
  Partial<Pick<ProtocolReport, 'pooledNegation'>>;

/** "0.71 [0.60, 0.80]" or, as percent, "71% [60, 80]". */
export function formatInterval(ci: Interval, how: { percent?: boolean; signed?: boolean } = {}): string {
  if (how.percent) {
    const p = (x: number): string => formatNumber(x * 100, 0, how.signed === true);
    return `${p(ci.estimate)}% [${p(ci.low)}, ${p(ci.high)}]`;
  }
  const n = (x: number): string => formatNumber(x, 2, how.signed === true);
  return `${n(ci.estimate)} [${n(ci.low)}, ${n(ci.high)}]`;
}

/** low ≤ 0 ≤ high. */
export function includesZero(ci: Interval): boolean {
  return ci.low <= 0 && ci.high >= 0;
}

/** a's interval lies wholly above b's. */
function above(a: Interval, b: Interval): boolean {
  return a.low > b.high;
}

function successStatements(seed: ReportSeed): ReportStatement[] {
  const out: ReportStatement[] = [];
  const ma = seed.success.find((s) => s.subject === 'MA');
  const floor = seed.success.find((s) => s.subject === 'random policy');
  if (ma !== undefined && floor !== undefined) {
    const beats = above(ma.success, floor.success);
    out.push({
      seed: seed.seed,
      topic: 'success',
      kind: beats ? 'finding' : 'null-result',
      text:
        `MA succeeds on ${ma.reward} in ${formatInterval(ma.success, { percent: true })} of held-out episodes ` +
        `vs ${formatInterval(floor.success, { percent: true })} for a uniform-random policy` +
        (beats
          ? '.'
          : ': the intervals overlap, so MA has not clearly learned RA and the later analyses rest on a weak MA.'),
    });
  }
  for (const mb of seed.success.filter((s) => s.subject.startsWith('MB:'))) {
    const maOnRb = seed.success.find((s) => s.subject === `MA on ${mb.reward}`);
    const gain = maOnRb === undefined ? null : above(mb.success, maOnRb.success);
    out.push({
      seed: seed.seed,
      topic: 'success',
      kind: gain === false ? 'null-result' : 'finding',
      text:
        `${mb.subject.replace('MB:', 'MB ')} succeeds on ${mb.reward} in ${formatInterval(mb.success, { percent: true })}` +
        (maOnRb === undefined
          ? '.'
          : ` vs ${formatInterval(maOnRb.success, { percent: true })} for MA` +
            (gain
              ? '.'
              : ': the fine-tune did not clearly change behaviour, so its delta may carry little of RB.')),
    });
  }
  return out;
}

/**
 * "Close to orthogonal" only when every pair's |ρ| is small AND informative: a pair of sparse rewards
 * (an 'uninformative' warning) has |ρ| ≈ 0 whatever the rewards are, so it is stated as such instead.
 */
function similarityStatements(similarity: RewardSimilarityResult | null): ReportStatement[] {
  if (similarity === null) return [];
  const note = (text: string): ReportStatement => ({ seed: null, topic: 'similarity', kind: 'note', text });
  const uninformative = similarity.warnings.filter((w) => w.kind === 'uninformative');
  const overlaps = similarity.warnings.filter((w) => w.kind !== 'uninformative');
  const out = overlaps.map((w) => note(w.message));
  if (overlaps.length === 0 && uninformative.length === 0) {
    out.push(
      note(
        `Every pair among RA and the RBs has |ρ| ≤ ${similarity.threshold} on random-policy transitions: the rewards are close to orthogonal.`,
      ),
    );
  } else if (uninformative.length > 0) {
    out.push(
      note(
        `${uninformative.length} pair${uninformative.length === 1 ? '' : 's'} of rewards fire too rarely for ρ to ` +
          `tell them apart: their |ρ| ≤ ${similarity.threshold} does not show they are orthogonal (ρ sits near ` +
          `its floor −p/(1−p) for sparse events whatever the rewards are).`,
      ),
      ...uninformative.map((w) => note(w.message)),
    );
  }
  return out;
}

/** The rows at the largest α of each RB and variant (the strongest intervention). */
function strongestRows(table: NegationTableData): NegationTableData['rows'] {
  const best = new Map<string, NegationTableData['rows'][number]>();
  for (const row of table.rows) {
    const key = `${row.rb}/${row.variant}`;
    const current = best.get(key);
    if (current === undefined || row.alpha > current.alpha) best.set(key, row);
  }
  return [...best.values()];
}

/**
 * One replication's negation rows: per-replication values (notes, or null results when the CI
 * includes 0). Its CIs cover only episode noise of one trained checkpoint, so a finding is only ever
 * the effect pooled across replications (pooledNegationStatements).
 */
function negationStatements(seed: number, table: NegationTableData): ReportStatement[] {
  const out: ReportStatement[] = [];
  const kindOf = (ci: Interval): ReportStatement['kind'] => (includesZero(ci) ? 'null-result' : 'note');
  const kinds = new Map(table.rbs.map((rb) => [rb.name, rb.targetKind]));
  for (const row of strongestRows(table)) {
    if (row.variant !== 'negate' && row.variant !== 'add') continue;
    const kind = kinds.get(row.rb) ?? null;
    const sign = row.variant === 'negate' ? '−' : '+';
    const subject = `MA ${sign} ${row.alpha}·Δ(${row.rb}), after recovery`;
    const diff = row.afterVsControl.targetCollect;
    if (diff === null || kind === null) {
      const ra = row.afterVsControl.raReturn;
      out.push({
        seed,
        topic: 'negation',
        kind: kindOf(ra),
        text: `${subject}: ${formatInterval(ra, { signed: true })} in ${table.raName} return vs control${includesZero(ra) ? ' — the interval includes 0 (null result).' : '.'}`,
      });
      continue;
    }
    const vsRandom = row.afterVsRandom?.targetCollect ?? null;
    out.push({
      seed,
      topic: 'negation',
      kind: kindOf(diff),
      text:
        `${subject}: ${formatInterval(diff, { signed: true })} in P(${kind}) vs control` +
        (includesZero(diff) ? ' — the interval includes 0, so no lean is shown (null result)' : '') +
        (vsRandom === null
          ? '.'
          : `; ${formatInterval(vsRandom, { signed: true })} vs a random direction of the same size${includesZero(vsRandom) ? ' (includes 0: not distinguishable from a random perturbation)' : ''}.`),
    });
  }
  return out;
}

/** "pooled over R = 5 replications (t-interval)" or "not replicated (R = 1 < 3 …)". */
function poolingNote(p: PooledEffect): string {
  const how = p.method === 't-interval' ? 't-interval over replications' : 'hierarchical bootstrap';
  return p.replicated
    ? `pooled over R = ${p.replications} replications (${how})`
    : `not replicated: R = ${p.replications} < 3 replications (${how}), so this is not a finding`;
}

/** The effect as "−0.08 [−0.12, −0.04]", with its pooling and per-replication values. */
function pooledText(p: PooledEffect): string {
  return `${formatInterval(p, { signed: true })}, ${poolingNote(p)}; per replication ${p.perReplication.map((x) => formatNumber(x, 2, true)).join(', ')}`;
}

/**
 * The pooled headline per RB: negation −Δᵢ is a finding only when its specificity contrast excludes 0
 * and beats every control (shared/negation-verdict.ts); otherwise the statement says plainly that it
 * did not. The raw target drop follows as a note; MA + α·Δ is never a finding.
 */
function pooledNegationStatements(rows: readonly PooledNegationRow[], raName: string): ReportStatement[] {
  const out: ReportStatement[] = [];
  for (const rb of [...new Set(rows.map((r) => r.rb))]) {
    const verdict = negationVerdict(rows, rb);
    if (verdict === null) continue;
    const negate = methodRow(rows, rb, 'negate', verdict.alpha);
    const subject = `MA − ${verdict.alpha}·Δ(${rb}), after recovery`;
    if (verdict.contrast === null) {
      const effect = negate?.targetCollectVsControl ?? negate?.raReturnVsControl;
      if (effect === undefined) continue;
      out.push({
        seed: null,
        topic: 'negation',
        kind: effect.replicated ? 'null-result' : 'note',
        text: `${subject}: ${pooledText(effect)} in ${negate?.targetCollectVsControl == null ? `${raName} return` : `P(collect ${rb}'s object)`} vs control. Not a finding: ${verdict.reason}.`,
      });
      continue;
    }
    const controls = verdict.controls
      .map((c) =>
        c.contrast === null
          ? `${c.method}: not run`
          : `${c.method} ${formatInterval(c.contrast, { signed: true })} (${c.beaten ? 'beaten' : 'not beaten'})`,
      )
      .join('; ');
    out.push({
      seed: null,
      topic: 'negation',
      kind: verdict.finding ? 'finding' : verdict.contrast.replicated ? 'null-result' : 'note',
      text:
        `${subject}: specificity contrast Δ P(target) − mean Δ P(other kinds) vs control ${pooledText(verdict.contrast)}. ` +
        `Controls (norm-matched per tensor): ${controls}. ` +
        (verdict.finding
          ? 'Finding: negation lowers the target beyond general damage and beyond every control.'
          : `Null result — negation is not shown to remove a targeted lean: ${verdict.reason}.`),
    });
    const drop = negate?.targetCollectVsControl ?? null;
    if (drop !== null) {
      out.push({
        seed: null,
        topic: 'negation',
        kind: 'note',
        text: `${subject}: raw Δ P(target) vs control ${pooledText(drop)} (the headline is the contrast above, which discounts the drop of every other object).`,
      });
    }
  }
  if (rows.some((r) => r.variant === 'add')) {
    out.push({
      seed: null,
      topic: 'negation',
      kind: 'note',
      text: 'MA + α·Δᵢ is shown as a curve only: at α = 1 it is MBᵢ itself, so its effect is never a finding.',
    });
  }
  return out;
}

function superpositionStatements(seed: number, data: SuperpositionData): ReportStatement[] {
  const nullShare = (tensor: string): number | null =>
    data.nullMap?.concentration.find((c) => c.tensor === tensor)?.share ?? null;
  return [
    ...data.maps.map((map): ReportStatement => {
      const top = [...map.concentration].sort((a, b) => b.share - a.share)[0];
      if (top === undefined) {
        return { seed, topic: 'superposition', kind: 'note', text: `${map.aggregator} map: empty.` };
      }
      const drift = nullShare(top.tensor);
      return {
        seed,
        topic: 'superposition',
        kind: 'note',
        text:
          `${map.aggregator} map puts ${formatNumber(top.share * 100, 0)}% of its mass in ${top.tensor} ` +
          `(${formatNumber(top.sizeShare * 100, 0)}% of the parameters` +
          (drift === null ? '' : `; the null-drift map puts ${formatNumber(drift * 100, 0)}% there`) +
          `). Concentration alone does not show that the tensor carries the objective; the localization test does.`,
      };
    }),
    ...varianceRatioStatements(seed, data),
  ];
}

function varianceRatioStatements(seed: number, data: SuperpositionData): ReportStatement[] {
  const ratio = data.varianceRatio;
  if (ratio === undefined) return [];
  const groups = ratio.groups.map((g) => `${g.label} ×${g.size}`).join(', ');
  if (ratio.status === 'skipped') {
    return [
      {
        seed,
        topic: 'superposition',
        kind: 'note',
        text: `Variance-ratio map not computed (${groups}): ${ratio.reason}`,
      },
    ];
  }
  const top = [...ratio.concentration].sort((a, b) => b.share - a.share)[0];
  if (top === undefined) return [];
  return [
    {
      seed,
      topic: 'superposition',
      kind: 'note',
      text:
        `variance-ratio map (between / within objectives; ${groups}) puts ${formatNumber(top.share * 100, 0)}% ` +
        `of its mass in ${top.tensor} (${formatNumber(top.sizeShare * 100, 0)}% of the parameters).`,
    },
  ];
}

function knownAnswerStatements(seed: number, check: KnownAnswerData): ReportStatement[] {
  const failed = check.aggregators
    .filter((a) => !a.pass)
    .map((a) => `${a.aggregator} (rank ${a.plantedRank})`);
  return [
    {
      seed,
      topic: 'known-answer',
      kind: check.pass ? 'finding' : 'null-result',
      text: check.pass
        ? `Known-answer check passed: every aggregator ranks the planted tensor ${check.plantedTensor} first.`
        : `Known-answer check failed for ${failed.join(', ')}: those maps do not find the planted tensor ${check.plantedTensor}.`,
    },
  ];
}

function localizationStatements(seed: number, table: LocalizationData): ReportStatement[] {
  const out: ReportStatement[] = [];
  if (includesZero(table.full.gainOverBase)) {
    out.push({
      seed,
      topic: 'localization',
      kind: 'null-result',
      text: `The full fine-tune on ${table.rbNew} gains ${formatInterval(table.full.gainOverBase, { signed: true })} in return over MA — the interval includes 0, so fractions of its gain are not meaningful.`,
    });
  }
  const first = table.rows[0];
  if (first?.movable !== undefined && table.movableRule !== undefined) {
    out.push({
      seed,
      topic: 'localization',
      kind: 'note',
      text:
        `Masks are drawn among the ${first.movable} of ${first.total} parameters that can move; ` +
        `${first.total - first.movable} were excluded (${table.movableRule}` +
        (table.movableRule.startsWith('non-zero gradient')
          ? `: a fine-tune on ${table.rbNew} from MA cannot change them, so a mask on them would train nothing).`
          : ': no fine-tune of this replication changed them, so a mask on them would train nothing).'),
    });
  }
  const ks = [...new Set(table.rows.map((r) => r.kPercent))].sort((a, b) => a - b);
  for (const k of ks) {
    const at = (selection: string): LocalizationData['rows'][number] | undefined =>
      table.rows.find((r) => r.kPercent === k && r.selection === selection);
    const top = at('top');
    const random = at('random');
    const nullRow = table.randomNull?.find((r) => r.kPercent === k);
    if (top !== undefined && nullRow !== undefined) {
      out.push(controlStatement(seed, table, k, nullRow, top.fractionOfFull));
      continue;
    }
    if (top?.fractionOfFull == null) continue;
    const rnd = random?.fractionOfFull ?? null;
    const beats = rnd !== null && above(top.fractionOfFull, rnd);
    out.push({
      seed,
      topic: 'localization',
      kind: beats ? 'note' : 'null-result',
      text:
        `top-${k}% mask (${table.aggregator} map) recovers ${formatInterval(top.fractionOfFull, { percent: true })} of the full fine-tune's gain on ${table.rbNew}` +
        (rnd === null
          ? '.'
          : ` vs ${formatInterval(rnd, { percent: true })} for random` +
            (beats
              ? ' (one replication: only the pooled verdict can make it a finding).'
              : ': the intervals overlap, so the map does not beat a random mask here.')),
    });
  }
  return out;
}

/**
 * Top-k against its controls in one replication: M random masks (percentile, permutation p-value) and
 * paired per-episode differences against the random draws' mean and each baseline. Never a finding on
 * its own (its intervals cover one replication's episode noise): a note when p < 1 − confidence and
 * every paired difference excludes 0 on the positive side, else a null result; the finding is the
 * pooled verdict (localization-text.ts).
 */
function controlStatement(
  seed: number,
  table: LocalizationData,
  k: number,
  nullRow: NonNullable<LocalizationData['randomNull']>[number],
  fraction: Interval | null,
): ReportStatement {
  const paired = (table.paired ?? []).filter((p) => p.kPercent === k);
  const alpha = 1 - table.confidence;
  const beatsAll = nullRow.pValue < alpha && paired.length > 0 && paired.every((p) => p.difference.low > 0);
  const pairs = paired
    .map((p) => `top − ${p.versus} ${formatInterval(p.difference, { signed: true })}`)
    .join('; ');
  return {
    seed,
    topic: 'localization',
    kind: beatsAll ? 'note' : 'null-result',
    text:
      `top-${k}% mask (${table.aggregator} map)` +
      (fraction === null
        ? ''
        : ` recovers ${formatInterval(fraction, { percent: true })} of the full fine-tune's gain on ${table.rbNew};`) +
      ` among ${nullRow.draws} random ${k}% masks it ranks at the ${Math.round(100 * nullRow.percentile)}th percentile (permutation p = ${formatNumber(nullRow.pValue)})` +
      (pairs === '' ? '.' : `; paired return differences ${pairs}.`) +
      (beatsAll
        ? ' One replication: its intervals cover only its own episode noise, so only the pooled verdict can make it a finding.'
        : ` Not a finding: the map must beat the random masks (p < ${formatNumber(alpha)}) and every baseline (null drift, gradient saliency, Fisher) with intervals above 0.`),
  };
}

/** Every statement of the report, seed by seed, in the order of the report's sections. */
export function reportStatements(report: StatementInput): ReportStatement[] {
  const out: ReportStatement[] = [...similarityStatements(report.similarity)];
  out.push(...pooledNegationStatements(report.pooledNegation ?? [], report.spec.ra.name));
  for (const seed of report.seeds) {
    out.push(...successStatements(seed));
    if (seed.negation !== null) out.push(...negationStatements(seed.seed, seed.negation));
    if (seed.superposition !== null) out.push(...superpositionStatements(seed.seed, seed.superposition));
    if (seed.knownAnswer !== null) out.push(...knownAnswerStatements(seed.seed, seed.knownAnswer));
    if (seed.localization !== null) out.push(...localizationStatements(seed.seed, seed.localization));
  }
  return out;
}
