/**
 * PPO's per-iteration learning rate: CleanRL's linear annealing, times a linear warm-up over the
 * run's first iterations. A run started from a checkpoint begins with a fresh Adam (zero moments, so
 * its first steps are ≈ lr·sign(g) per weight) at the full rate, which can knock a converged policy
 * down in one iteration; the warm-up ramps the rate from WARMUP_START_FRACTION of it to all of it.
 * A pure function of the run's own 1-based iteration, so a resumed run gets the same rates.
 */

/** Share of the (annealed) rate used in a warm-up's first iteration. */
export const WARMUP_START_FRACTION = 0.05;

export interface LrScheduleConfig {
  /** The rate of iteration 1 without warm-up. */
  learningRate: number;
  /** Anneal linearly to 0 over the run. */
  annealLr: boolean;
  /** Iterations over which the rate ramps up; 0 = none. */
  warmupIterations: number;
}

/**
 * Warm-up factor of 1-based `iteration`: WARMUP_START_FRACTION at 1, rising linearly to 1 at
 * iteration warmupIterations + 1 and 1 after it (and always 1 with warmupIterations 0).
 */
export function warmupFactor(iteration: number, warmupIterations: number): number {
  if (iteration > warmupIterations) return 1;
  return WARMUP_START_FRACTION + ((1 - WARMUP_START_FRACTION) * (iteration - 1)) / warmupIterations;
}

/** The learning rate of 1-based `iteration` of `numIterations`. */
export function learningRateAt(iteration: number, numIterations: number, config: LrScheduleConfig): number {
  const lr = config.annealLr
    ? (1 - (iteration - 1) / numIterations) * config.learningRate
    : config.learningRate;
  // without warm-up the rate is computed exactly as before (PPO parity with the reference)
  return iteration > config.warmupIterations ? lr : lr * warmupFactor(iteration, config.warmupIterations);
}
