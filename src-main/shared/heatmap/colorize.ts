import type { ColorLut } from '../charts/color-map';
import { createNormalizer, type ValueScale } from './value-scale';

/**
 * pixel_i = lut[round((t(v_i) + 1)/2 · (n−1))], NaN → lut.nan. Writes `values.length` packed pixels
 * into `out` (a Uint32Array view of an ImageData's bytes).
 */
export function colorizeValues(
  values: ArrayLike<number>,
  out: Uint32Array,
  lut: ColorLut,
  scale: ValueScale,
): void {
  if (out.length < values.length) {
    throw new RangeError(`colorizeValues: out has ${out.length} pixels for ${values.length} values`);
  }
  const table = lut.packed;
  const half = (table.length - 1) / 2;
  const nan = lut.nan;
  if (scale.mode === 'linear') {
    createNormalizer(scale); // validates the scale
    // The linear case is the hot path (a 4096² tensor is 16.7M cells): fold t and the index into one multiply-add.
    const k = half / scale.limit;
    const last = table.length - 1;
    for (let i = 0; i < values.length; i += 1) {
      const v = values[i] as number;
      if (v !== v) {
        out[i] = nan;
        continue;
      }
      // Clamp before truncating: `| 0` of a value beyond ±2³¹ would wrap around.
      const x = v * k + half + 0.5;
      out[i] = (x <= 0 ? table[0] : x >= last ? table[last] : table[x | 0]) as number;
    }
    return;
  }
  const normalize = createNormalizer(scale);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    out[i] = v !== v ? nan : (table[Math.round((normalize(v) + 1) * half)] as number);
  }
}
