import type { MetricSeries } from '../domain';

/**
 * What a metric chart does to its series before drawing: drop a series another one repeats, put
 * the x axis on training wall time. Pure; data in, data out.
 */

function sameData(a: MetricSeries, b: MetricSeries): boolean {
  if (a.steps.length !== b.steps.length || a.steps.length === 0) return false;
  for (let i = 0; i < a.steps.length; i++) {
    if (a.steps[i] !== b.steps[i]) return false;
    const x = a.values[i] as number;
    const y = b.values[i] as number;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

/**
 * The series without those that repeat another one point for point: `charts/success` is the success
 * under the training reward and `charts/success/RA` the same numbers, so the legend would list one
 * curve twice ("success" and "RA"). The longer (more specific) key is kept.
 */
export function dropDuplicateSeries(series: readonly MetricSeries[]): MetricSeries[] {
  return series.filter(
    (s) => !series.some((other) => other !== s && other.key.length > s.key.length && sameData(s, other)),
  );
}

/** Seconds of training elapsed at each logged step of a run, and the steps they belong to. */
export interface WallClock {
  steps: number[];
  seconds: number[];
}

/**
 * The training clock of a run from its `charts/steps_per_second` series: the time spent reaching
 * step sᵢ is tᵢ = Σ_{j ≤ i} (sⱼ − sⱼ₋₁) / rateⱼ with s₋₁ = 0 (each reading is the rate of the
 * iteration that ended at its step). Points whose rate is not a positive number are skipped; null
 * when none is usable.
 */
export function wallClockFromRates(stepsPerSecond: MetricSeries): WallClock | null {
  const steps: number[] = [];
  const seconds: number[] = [];
  let previous = 0;
  let elapsed = 0;
  stepsPerSecond.steps.forEach((step, i) => {
    const rate = stepsPerSecond.values[i] as number;
    if (!(Number.isFinite(rate) && rate > 0) || step < previous) return;
    elapsed += (step - previous) / rate;
    previous = step;
    steps.push(step);
    seconds.push(elapsed);
  });
  return steps.length === 0 ? null : { steps, seconds };
}

/**
 * The training seconds at `step`, interpolated linearly between the clock's readings; before the
 * first reading at its rate from step 0, after the last at the last reading's rate.
 */
export function secondsAtStep(clock: WallClock, step: number): number {
  const { steps, seconds } = clock;
  const n = steps.length;
  if (n === 0) throw new RangeError('secondsAtStep: the clock has no readings');
  const firstStep = steps[0] as number;
  const firstSeconds = seconds[0] as number;
  if (step <= firstStep) return firstStep === 0 ? 0 : (firstSeconds * step) / firstStep;
  let lo = 0;
  let hi = n - 1;
  if (step >= (steps[hi] as number)) {
    const prevStep = n > 1 ? (steps[hi - 1] as number) : 0;
    const prevSeconds = n > 1 ? (seconds[hi - 1] as number) : 0;
    const lastStep = steps[hi] as number;
    const rate = (lastStep - prevStep) / ((seconds[hi] as number) - prevSeconds);
    return (seconds[hi] as number) + (Number.isFinite(rate) && rate > 0 ? (step - lastStep) / rate : 0);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((steps[mid] as number) <= step) lo = mid;
    else hi = mid;
  }
  const s0 = steps[lo] as number;
  const s1 = steps[hi] as number;
  const t0 = seconds[lo] as number;
  const t1 = seconds[hi] as number;
  return t0 + ((t1 - t0) * (step - s0)) / (s1 - s0);
}

/** The series with its steps replaced by training seconds from `clock`. */
export function overWallTime(series: MetricSeries, clock: WallClock): MetricSeries {
  return { ...series, steps: series.steps.map((step) => secondsAtStep(clock, step)) };
}
