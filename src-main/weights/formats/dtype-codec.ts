import { nativeDecode, nativeEncodeBf16 } from '../native-decode';
import type { SafetensorsDtype } from './safetensors-header';

/**
 * Chunk codecs between a file's little-endian element bytes and float32. Every F16 and BF16 value
 * is exactly a float32, so decode → encode of a BF16 or F16 file returns the same bits (NaN
 * payloads included); F32 → BF16/F16 rounds to nearest, ties to even. Callers decode one chunk at
 * a time into a scratch array, so no whole tensor is ever widened to float32 at once.
 */

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Uint32Array | null = null;

/** float32 bits of every half: sign · 2^(e−15) · 1.m, subnormals, ±∞ and NaN (payload kept). */
function float16Table(): Uint32Array {
  if (halfTable !== null) return halfTable;
  const table = new Uint32Array(65536);
  const f = new Float32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 31) table[h] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    else if (exponent === 0) f[h] = (h & 0x8000 ? -1 : 1) * 2 ** -24 * mantissa;
    else table[h] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
  }
  halfTable = table;
  return table;
}

/** Decodes `out.length` elements of `dtype` from `raw` (little-endian) into `out`. */
export function decodeChunk(dtype: SafetensorsDtype, raw: Uint8Array, out: Float32Array): void {
  if (nativeDecode(dtype, raw, out)) return;
  const n = out.length;
  const aligned = LITTLE_ENDIAN_HOST && raw.byteOffset % DTYPE_BYTES[dtype] === 0;
  const view = new DataView(raw.buffer, raw.byteOffset, n * DTYPE_BYTES[dtype]);
  const bits = new Uint32Array(out.buffer, out.byteOffset, n);
  if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    if (aligned) {
      // An Int32Array target keeps `x << 16` (an int32) free of a conversion per element.
      const src = new Uint16Array(raw.buffer, raw.byteOffset, n);
      const signed = new Int32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) signed[i] = src[i]! << 16;
    } else for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  } else if (dtype === 'F16') {
    const table = float16Table();
    if (aligned) {
      const src = new Uint16Array(raw.buffer, raw.byteOffset, n);
      for (let i = 0; i < n; i++) bits[i] = table[src[i]!]!;
    } else for (let i = 0; i < n; i++) bits[i] = table[view.getUint16(i * 2, true)]!;
  } else if (dtype === 'F64') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  } else if (aligned) {
    out.set(new Float32Array(raw.buffer, raw.byteOffset, n));
  } else for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
}

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/** float32 → bfloat16 bits, rounding to nearest even; a NaN keeps its top payload bits. */
export function float32ToBfloat16Bits(value: number): number {
  scratchF[0] = value;
  return bitsToBfloat16(scratchU[0]!);
}

/** float32 → IEEE half bits, rounding to nearest even; overflow → ±∞, NaN payload's top bits kept. */
export function float32ToFloat16Bits(value: number): number {
  scratchF[0] = value;
  return bitsToFloat16(scratchU[0]!);
}

// The encoders work on float32 bit patterns: going through a JS number would quiet signalling NaNs.
function bitsToBfloat16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    const top = x >>> 16;
    return (top & 0x7f) === 0 ? top | 0x40 : top;
  }
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function bitsToFloat16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) {
    if (mantissa === 0) return sign | 0x7c00;
    const payload = mantissa >>> 13;
    return sign | 0x7c00 | (payload === 0 ? 0x200 : payload);
  }
  const e = exponent - 112;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m_h · 2^−24, m_h = (1.m · 2^23) >> (14 − e), rounded.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = full & ((1 << shift) - 1);
    let result = full >>> shift;
    if (rest > half || (rest === half && (result & 1) === 1)) result++;
    return sign | result;
  }
  let result = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++;
  return sign | result;
}

/** Encodes float32 values as `dtype` (little-endian) into `raw` (n · bytes(dtype) bytes). */
export function encodeChunk(dtype: SafetensorsDtype, values: Float32Array, raw: Uint8Array): void {
  if (dtype === 'BF16' && nativeEncodeBf16(values, raw)) return;
  const n = values.length;
  const view = new DataView(raw.buffer, raw.byteOffset, n * DTYPE_BYTES[dtype]);
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  if (dtype === 'BF16') for (let i = 0; i < n; i++) view.setUint16(i * 2, bitsToBfloat16(bits[i]!), true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) view.setUint16(i * 2, bitsToFloat16(bits[i]!), true);
  else if (dtype === 'F64') for (let i = 0; i < n; i++) view.setFloat64(i * 8, values[i]!, true);
  else if (LITTLE_ENDIAN_HOST) raw.set(new Uint8Array(values.buffer, values.byteOffset, n * 4));
  else for (let i = 0; i < n; i++) view.setFloat32(i * 4, values[i]!, true);
}
