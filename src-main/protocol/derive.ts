import { linearCombination, randomDirectionLike, type TensorMap } from '../weights';
import type { DeriveVariant } from './job-graph';

/**
 * The derived checkpoints of the negation test, with Δ = MB − MA:
 *   negate: MA − α·Δ;  add: MA + α·Δ;  random: MA − α·r, r random with ‖r_t‖₂ = ‖Δ_t‖₂ per tensor t.
 */
export function derivedMap(
  base: TensorMap,
  tuned: TensorMap,
  variant: DeriveVariant,
  alpha: number,
  randomSeed: number,
): TensorMap {
  if (variant === 'random') {
    const delta = linearCombination([
      { coefficient: 1, map: tuned, label: 'MB' },
      { coefficient: -1, map: base, label: 'MA' },
    ]);
    return linearCombination([
      { coefficient: 1, map: base, label: 'MA' },
      { coefficient: -alpha, map: randomDirectionLike(delta, randomSeed), label: 'the random direction' },
    ]);
  }
  // MA ∓ α(MB − MA) = (1 ± α)·MA ∓ α·MB, one rounding to float32.
  const sign = variant === 'negate' ? -1 : 1;
  return linearCombination([
    { coefficient: 1 - sign * alpha, map: base, label: 'MA' },
    { coefficient: sign * alpha, map: tuned, label: 'MB' },
  ]);
}

/** The formula saved in the derived checkpoint's provenance, in checkpoint ids. */
export function deriveFormula(
  baseId: number,
  tunedId: number,
  variant: DeriveVariant,
  alpha: number,
  randomSeed: number,
): string {
  if (variant === 'random')
    return `#${baseId} - ${alpha}*random(#${tunedId} - #${baseId}, seed ${randomSeed})`;
  return `#${baseId} ${variant === 'negate' ? '-' : '+'} ${alpha}*(#${tunedId} - #${baseId})`;
}
