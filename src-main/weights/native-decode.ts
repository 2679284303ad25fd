import { addonFunctions, missingFunctions, probeAddon } from '../native/addon';
import type { SafetensorsDtype } from './formats/safetensors-header';

/**
 * decodeChunk's F16/BF16 → float32 loops in C (decodeRaw in native/blas/src/decode.c, part of the
 * `deltascope_blas` addon): the same bits (NaN payloads, ±0, subnormals), for the chunks that
 * combinations and aggregations over sources read; and encodeChunk's float32 → BF16 loop (encodeBf16)
 * for the folders they write. Without the addon, on a big-endian host, or with
 * `DELTASCOPE_NATIVE_DECODE=off`, the JS loops run.
 */

interface DecodeAddon {
  decodeRaw(dtype: number, raw: Uint8Array, out: Float32Array): void;
  encodeBf16(values: Float32Array, raw: Uint8Array): void;
}

const FUNCTIONS = ['decodeRaw', 'encodeBf16'] as const satisfies readonly (keyof DecodeAddon)[];

const CODES: Partial<Record<SafetensorsDtype, number>> = { F16: 1, BF16: 2 };
/** Below this many elements the JS loop is as fast as a call into the addon. */
const MIN_ELEMENTS = 4096;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let loaded: DecodeAddon | null | undefined;
let enabled = true;

function addon(): DecodeAddon | null {
  if (!enabled) return null;
  if (loaded !== undefined) return loaded;
  loaded = null;
  const setting = process.env.DELTASCOPE_NATIVE_DECODE ?? '';
  if (setting === 'off' || setting === '0' || !LITTLE_ENDIAN_HOST) return loaded;
  const probe = probeAddon();
  if (probe.ok && missingFunctions(probe.exports, FUNCTIONS).length === 0)
    loaded = addonFunctions<DecodeAddon>(probe, FUNCTIONS);
  return loaded;
}

/** Switches the native decode off or back on (tests compare both); returns whether it is in use. */
export function setNativeDecode(on: boolean): boolean {
  enabled = on;
  return addon() !== null;
}

/** Decodes `out.length` F16/BF16 elements of `raw` into `out` in C; false (nothing done) otherwise. */
export function nativeDecode(dtype: SafetensorsDtype, raw: Uint8Array, out: Float32Array): boolean {
  const code = CODES[dtype];
  if (code === undefined || out.length < MIN_ELEMENTS) return false;
  const kernels = addon();
  if (kernels === null) return false;
  kernels.decodeRaw(code, raw, out);
  return true;
}

/** Encodes float32 `values` as BF16 into `raw` in C; false (nothing done) otherwise. */
export function nativeEncodeBf16(values: Float32Array, raw: Uint8Array): boolean {
  if (values.length < MIN_ELEMENTS) return false;
  const kernels = addon();
  if (kernels === null) return false;
  kernels.encodeBf16(values, raw);
  return true;
}
