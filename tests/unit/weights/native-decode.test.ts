import { afterAll, describe, expect, it } from 'vitest';
import { decodeChunk } from '../../../src-main/weights/formats/dtype-codec';
import { setNativeDecode } from '../../../src-main/weights/native-decode';

/**
 * decodeChunk's F16/BF16 loops in C (native/blas/src/decode.c) against the JS ones: every one of the
 * 65 536 bit patterns of each dtype (NaN payloads, ±∞, ±0, subnormals), from an aligned and an odd
 * byte offset, decoded to the same float32 bits. Skipped without the addon, except where CI requires it.
 */

const available = setNativeDecode(true);
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';
afterAll(() => setNativeDecode(true));

function decodedBits(dtype: 'F16' | 'BF16', raw: Uint8Array, native: boolean): number[] {
  expect(setNativeDecode(native)).toBe(native);
  const out = new Float32Array(raw.length / 2);
  decodeChunk(dtype, raw, out);
  return [...new Uint32Array(out.buffer)];
}

describe.runIf(available || required)('native F16/BF16 decode', () => {
  it('is built where CI requires it', () => {
    expect(available).toBe(true);
  });

  for (const dtype of ['F16', 'BF16'] as const) {
    it(`${dtype}: every bit pattern, aligned and not, to the JS decode's float32 bits`, () => {
      const patterns = new Uint8Array(2 * 65536);
      const view = new DataView(patterns.buffer);
      for (let h = 0; h < 65536; h++) view.setUint16(2 * h, h, true);
      const odd = new Uint8Array(patterns.length + 1).subarray(1);
      odd.set(patterns);
      for (const raw of [patterns, odd]) {
        const native = decodedBits(dtype, raw, true);
        const js = decodedBits(dtype, raw, false);
        expect(native).toEqual(js);
      }
    });
  }
});
