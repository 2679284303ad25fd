/**
 * Min/max bucket downsampling for line charts: splits the series into ⌈maxPoints/2⌉ buckets by
 * index and keeps each bucket's minimum and maximum (in step order), so spikes stay visible.
 */
export function downsampleMinMax(
  steps: ArrayLike<number>,
  values: ArrayLike<number>,
  maxPoints: number,
): { steps: number[]; values: number[] } {
  if (steps.length !== values.length) {
    throw new RangeError(
      `downsampleMinMax: steps has ${steps.length} points but values has ${values.length}`,
    );
  }
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new RangeError(`downsampleMinMax: maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  }
  const n = steps.length;
  if (n <= maxPoints) return { steps: Array.from(steps), values: Array.from(values) };
  const buckets = Math.floor(maxPoints / 2);
  const outSteps: number[] = [];
  const outValues: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (values[i]! < values[lo]!) lo = i;
      if (values[i]! > values[hi]!) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) {
      outSteps.push(steps[i]!);
      outValues.push(values[i]!);
    }
  }
  return { steps: outSteps, values: outValues };
}
