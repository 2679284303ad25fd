import type { PooledEffect, PooledNegationRow } from './contract-protocol';

/**
 * The negation verdict of one RBᵢ from the pooled rows (runtime-free: the report, the statements and the
 * app derive it from here). At the headline α (1 when run, else the largest), negation −Δᵢ is a
 * finding only if
 *   1. its pooled specificity contrast (Δ P(target) − mean Δ P(other kinds), vs the recovered control)
 *      is replicated (R ≥ 3) and its interval lies below 0, and
 *   2. it beats every control: its interval lies wholly below the pooled contrast interval of each of
 *      the random, null and other controls at the same α (a control not run, or one without a contrast,
 *      cannot be beaten, so the verdict is then not a finding either), and
 *   3. with recovery to criterion, the negated checkpoint recovered to the control's RA success in every
 *      replication: a checkpoint that did not is compared at lower competence, so its contrast may be
 *      damage rather than a lean.
 * MA + α·Δ (add) stays a curve and the positive control (MA fine-tuned on −RBᵢ) shows what a lean looks
 * like; neither is a control to beat.
 */

export const NEGATION_CONTROLS = ['random', 'null', 'other'] as const;
export type NegationControl = (typeof NEGATION_CONTROLS)[number];

/** The methods of the Ilharco-style table, in order. */
export const NEGATION_TABLE_METHODS = ['negate', ...NEGATION_CONTROLS, 'positive'] as const;

export const NEGATION_METHOD_LABELS: Record<PooledNegationRow['variant'], string> = {
  negate: 'MA − α·Δᵢ',
  add: 'MA + α·Δᵢ (curve only)',
  random: 'random direction (movable, norm-matched)',
  null: '−Δ_null (norm-matched)',
  other: '−Δ_other (norm-matched)',
  positive: 'positive control: MA fine-tuned on −RBᵢ',
};

export interface ControlComparison {
  method: NegationControl;
  /** The control's pooled contrast; null when the control was not run or has no contrast. */
  contrast: PooledEffect | null;
  /** −Δᵢ's contrast interval lies wholly below this control's. */
  beaten: boolean;
}

export interface NegationVerdict {
  rb: string;
  alpha: number;
  contrast: PooledEffect | null;
  controls: ControlComparison[];
  finding: boolean;
  /** Why it is or is not a finding, in one sentence. */
  reason: string;
}

/** α of the headline: 1 if the negate rows of `rb` have it, else their largest α (null without rows). */
export function headlineAlpha(rows: readonly PooledNegationRow[], rb: string): number | null {
  const alphas = rows.filter((r) => r.rb === rb && r.variant === 'negate' && r.alpha > 0).map((r) => r.alpha);
  if (alphas.length === 0) return null;
  return alphas.includes(1) ? 1 : Math.max(...alphas);
}

/** The row of `method` for `rb` at the headline α (the positive control has α 1 whatever the grid). */
export function methodRow(
  rows: readonly PooledNegationRow[],
  rb: string,
  method: PooledNegationRow['variant'],
  alpha: number,
): PooledNegationRow | undefined {
  return rows.find(
    (r) => r.rb === rb && r.variant === method && (method === 'positive' || r.alpha === alpha),
  );
}

const contrastOf = (row: PooledNegationRow | undefined): PooledEffect | null =>
  row?.specificity?.contrast ?? null;

/** a's interval lies wholly below b's. */
export function intervalBelow(a: { high: number }, b: { low: number }): boolean {
  return a.high < b.low;
}

export function negationVerdict(rows: readonly PooledNegationRow[], rb: string): NegationVerdict | null {
  const alpha = headlineAlpha(rows, rb);
  if (alpha === null) return null;
  const negate = methodRow(rows, rb, 'negate', alpha);
  const contrast = contrastOf(negate);
  const steps = negate?.stepsToCriterion;
  const reached = steps?.filter((s) => s !== null).length ?? 0;
  const unrecovered = steps !== undefined && reached < steps.length ? { reached, of: steps.length } : null;
  const controls = NEGATION_CONTROLS.map((method): ControlComparison => {
    const c = contrastOf(methodRow(rows, rb, method, alpha));
    return { method, contrast: c, beaten: contrast !== null && c !== null && intervalBelow(contrast, c) };
  });
  const failed = controls
    .filter((c) => !c.beaten)
    .map((c) => (c.contrast === null ? `${c.method} (not run)` : c.method));
  let reason: string;
  let finding = false;
  if (contrast === null) reason = 'no specificity contrast (RBᵢ names no object, or the env has one kind)';
  else if (!contrast.replicated) reason = `not replicated (R = ${contrast.replications} < 3)`;
  else if (!(contrast.high < 0))
    reason = 'the pooled contrast interval does not exclude 0 on the side of a lean';
  else if (failed.length > 0) reason = `the contrast does not beat ${failed.join(', ')}`;
  else if (unrecovered !== null)
    reason = `the negated checkpoint recovered to RA criterion in only ${unrecovered.reached}/${unrecovered.of} replications, so the contrast may reflect damage rather than a lean (raise recoveryCriterion.maxSteps)`;
  else {
    finding = true;
    reason = 'the pooled contrast excludes 0 and lies below every control’s interval';
  }
  return { rb, alpha, contrast, controls, finding, reason };
}
