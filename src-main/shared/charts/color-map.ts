/**
 * The diverging colour map of every heatmap: ColorBrewer's RdBu, computed by piecewise-linear
 * interpolation between its 11 anchors (no image assets). Negative values are blue, positive red,
 * 0 the neutral near-white centre; the two arms have matching lightness, so +v and −v read as
 * equally strong.
 */

export type Rgb = readonly [number, number, number];

/** RdBu anchors from t = −1 (dark blue) through t = 0 (#f7f7f7) to t = +1 (dark red). */
const ANCHORS: readonly Rgb[] = [
  [0x05, 0x30, 0x61],
  [0x21, 0x66, 0xac],
  [0x43, 0x93, 0xc3],
  [0x92, 0xc5, 0xde],
  [0xd1, 0xe5, 0xf0],
  [0xf7, 0xf7, 0xf7],
  [0xfd, 0xdb, 0xc7],
  [0xf4, 0xa5, 0x82],
  [0xd6, 0x60, 0x4d],
  [0xb2, 0x18, 0x2b],
  [0x67, 0x00, 0x1f],
];

/** The colour of 0. */
export const NEUTRAL_COLOR: Rgb = ANCHORS[5] as Rgb;
/** Cells whose value is NaN (or missing): a mid grey that no value maps to. */
export const NAN_COLOR: Rgb = [0x9a, 0x9a, 0x9a];
/** Entries of the lookup table: odd, so that entry (n−1)/2 is exactly 0. */
export const LUT_SIZE = 511;

/** colour(t) for t ∈ [−1, 1] (clamped): linear between the anchors at t_k = −1 + k/5. */
export function divergingColor(t: number): Rgb {
  if (Number.isNaN(t)) return NAN_COLOR;
  const clamped = Math.min(1, Math.max(-1, t));
  const position = ((clamped + 1) / 2) * (ANCHORS.length - 1);
  const k = Math.min(ANCHORS.length - 2, Math.floor(position));
  const f = position - k;
  const a = ANCHORS[k] as Rgb;
  const b = ANCHORS[k + 1] as Rgb;
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] === 0x04;

/** An opaque RGBA pixel as one 32-bit word laid out like ImageData's bytes (r, g, b, a in memory). */
export function packRgb(color: Rgb): number {
  const [r, g, b] = color;
  return LITTLE_ENDIAN
    ? ((0xff << 24) | (b << 16) | (g << 8) | r) >>> 0
    : ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0;
}

/** The inverse of packRgb. */
export function unpackRgb(word: number): Rgb {
  return LITTLE_ENDIAN
    ? [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff]
    : [(word >>> 24) & 0xff, (word >>> 16) & 0xff, (word >>> 8) & 0xff];
}

export interface ColorLut {
  /** Packed pixels; entry i is the colour of t = −1 + 2i/(n−1). */
  packed: Uint32Array;
  nan: number;
}

/** The colour map sampled at `size` evenly spaced t in [−1, 1] (size odd, ≥ 3). */
export function buildColorLut(size = LUT_SIZE): ColorLut {
  if (!Number.isInteger(size) || size < 3 || size % 2 === 0) {
    throw new RangeError(`buildColorLut: size must be an odd integer ≥ 3, got ${size}`);
  }
  const packed = new Uint32Array(size);
  for (let i = 0; i < size; i += 1) packed[i] = packRgb(divergingColor(-1 + (2 * i) / (size - 1)));
  return { packed, nan: packRgb(NAN_COLOR) };
}

/** "#rrggbb" of a colour, for CSS and chart options. */
export function rgbToHex(color: Rgb): string {
  return `#${color.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
