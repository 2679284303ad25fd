/**
 * Debiased exponential moving average, as TensorBoard draws it:
 * m_t = w·m_{t-1} + (1−w)·x_t, m_0 = 0;  s_t = m_t / (1 − w^n_t) with n_t the finite values so far.
 * Non-finite values pass through unchanged and do not enter the average.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (!Number.isFinite(weight) || weight < 0 || weight >= 1) {
    throw new RangeError(`emaSmooth: weight must be in [0, 1), got ${weight}`);
  }
  const smoothed = new Array<number>(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) {
      smoothed[i] = value;
      continue;
    }
    last = last * weight + (1 - weight) * value;
    count += 1;
    smoothed[i] = weight === 0 ? value : last / (1 - weight ** count);
  }
  return smoothed;
}
