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

/**
 * Where a JSON text fails to parse, without quoting it: "line 3, column 14" (V8's own message quotes
 * the text's first bytes, and an error message must never echo a file's contents), or "it ends early".
 */
export function jsonSyntaxProblem(error: unknown, text: string): string {
  if (!(error instanceof SyntaxError)) return error instanceof Error ? error.message : String(error);
  const message = error.message;
  const position = /at position (\d+)/.exec(message);
  if (position !== null) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    return `a syntax error at line ${line}, column ${column}`;
  }
  if (/end of (JSON )?input/i.test(message)) return 'a syntax error: it ends early';
  return text.trim() === '' ? 'nothing (it is empty)' : 'a syntax error';
}

/** Parses UTF-8 JSON; INVALID_FILE naming `file`, `what` and where the syntax error is (not the text). */
export function parseJson(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidFile(file, `${what} is not valid JSON (${jsonSyntaxProblem(error, text)})`);
  }
}

/**
 * A header value for a message: short scalars and short lists of numbers as JSON (`"F8_E8M0"`,
 * `[2,-1]`), anything else by its type only, so a message never carries a long run of file contents.
 */
export function shortValue(value: unknown): string {
  if (typeof value === 'string') {
    return /^[\w.:+-]{0,24}$/.test(value)
      ? JSON.stringify(value)
      : `(a string of ${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) {
    return value.length <= 8 && value.every((v) => typeof v === 'number')
      ? JSON.stringify(value)
      : `(a list of ${value.length} items)`;
  }
  return value === undefined ? '(missing)' : '(an object)';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
