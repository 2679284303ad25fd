import { DeltascopeError } from '../../shared/errors';

/** The INVALID_FILE error every reader throws: "<file>: <problem>". */
export function invalidFile(file: string, problem: string): DeltascopeError {
  return new DeltascopeError('INVALID_FILE', `${file}: ${problem}`, { file, problem });
}

/**
 * IEEE 754 half → float: (−1)^s · 2^(e−15) · (1 + m/1024) for 0 < e < 31,
 * (−1)^s · 2^−14 · m/1024 for e = 0 (subnormal), ±∞/NaN for e = 31.
 */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

/** Both formats store little-endian; typed-array views are only byte-order-correct on such hosts. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 elements (little-endian) at bytes[offset…]; a zero-copy view when 4-byte aligned. */
export function readFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && start % 4 === 0) return new Float32Array(bytes.buffer, start, count);
  const view = new DataView(bytes.buffer, start, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** IEEE half (little-endian) → float32 (exact: every half is a float32). */
export function readFloat16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = float16ToNumber(view.getUint16(i * 2, true));
  return out;
}

/** bfloat16 (little-endian) is the top 16 bits of a float32: bits << 16 (exact). */
export function readBfloat16(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  const bits = new Uint32Array(count);
  for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  return new Float32Array(bits.buffer);
}

/** float64 (little-endian) rounded to the nearest float32. */
export function readFloat64(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** int32 (little-endian) → float32 (rounded above 2^24). */
export function readInt32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
  return out;
}

/** The float32 array as little-endian bytes (a view of its memory on little-endian hosts). */
export function float32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** Parses UTF-8 JSON; INVALID_FILE naming `file` and `what` on a syntax error. */
export function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidFile(file, `${what} is not valid JSON (${(error as Error).message})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
