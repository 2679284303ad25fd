import { DeltascopeError } from '../shared/errors';
import { linearCombination, type TensorMap } from '../weights';
import type { DeriveVariant } from './job-graph';
import { movableRandomDirection, normMatchedLike } from './negation-controls';

/**
 * The derived checkpoints of the negation test, with Δ = MB − MA:
 *   negate: MA − α·Δ;  add: MA + α·Δ;  and the controls MA − α·c, c norm-matched to Δ per tensor
 *   (negation-controls.ts): random (Gaussian on the movable parameters), null (Δ_null = null control −
 *   MA), other (Δ_other = another RB's fine-tune − MA).
 */

export interface DeriveExtras {
  /** null / other: the checkpoint whose delta from MA is the control direction. */
  reference?: TensorMap;
  /** random: 1 where a parameter can move (non-zero Δ in a fine-tune of the replication); absent = all. */
  movable?: ReadonlyMap<string, Uint8Array> | null;
}

function delta(tuned: TensorMap, base: TensorMap, label: string): TensorMap {
  return linearCombination([
    { coefficient: 1, map: tuned, label },
    { coefficient: -1, map: base, label: 'MA' },
  ]);
}

/** The control direction c of a control variant (norm-matched to Δ per tensor), and its unmatched tensors. */
export function controlDirection(
  base: TensorMap,
  tuned: TensorMap,
  variant: Exclude<DeriveVariant, 'negate' | 'add'>,
  randomSeed: number,
  extras: DeriveExtras = {},
): { map: TensorMap; unmatched: string[] } {
  const d = delta(tuned, base, 'MB');
  if (variant === 'random') return movableRandomDirection(d, extras.movable ?? null, randomSeed);
  if (extras.reference === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `the "${variant}" control needs the ${variant === 'null' ? 'null control' : 'other RB fine-tune'} whose delta it uses`,
    );
  }
  return normMatchedLike(
    delta(extras.reference, base, variant === 'null' ? 'the null control' : 'the other RB'),
    d,
    `the "${variant}" control`,
  );
}

export function derivedMap(
  base: TensorMap,
  tuned: TensorMap,
  variant: DeriveVariant,
  alpha: number,
  randomSeed: number,
  extras: DeriveExtras = {},
): TensorMap {
  if (variant === 'negate' || variant === 'add') {
    // MA ∓ α(MB − MA) = (1 ± α)·MA ∓ α·MB, one rounding to float32.
    const sign = variant === 'negate' ? -1 : 1;
    return linearCombination([
      { coefficient: 1 - sign * alpha, map: base, label: 'MA' },
      { coefficient: sign * alpha, map: tuned, label: 'MB' },
    ]);
  }
  const control = controlDirection(base, tuned, variant, randomSeed, extras).map;
  return linearCombination([
    { coefficient: 1, map: base, label: 'MA' },
    { coefficient: -alpha, map: control, label: `the ${variant} control direction` },
  ]);
}

/** The formula saved in the derived checkpoint's provenance, in checkpoint ids. */
export function deriveFormula(
  baseId: number,
  tunedId: number,
  variant: DeriveVariant,
  alpha: number,
  randomSeed: number,
  referenceId?: number,
): string {
  const d = `(#${tunedId} - #${baseId})`;
  switch (variant) {
    case 'random':
      return `#${baseId} - ${alpha}*random(#${tunedId} - #${baseId}, seed ${randomSeed})`;
    case 'null':
    case 'other':
      return `#${baseId} - ${alpha}*normmatched(#${referenceId ?? '?'} - #${baseId} to ${d})`;
    default:
      return `#${baseId} ${variant === 'negate' ? '-' : '+'} ${alpha}*${d}`;
  }
}
