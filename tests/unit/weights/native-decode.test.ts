import { afterAll, describe, expect, it } from 'vitest';
import { decodeChunk, encodeChunk } from '../../../src-main/weights/formats/dtype-codec';
import { setNativeDecode } from '../../../src-main/weights/native-decode';

/**
 * decodeChunk's F16/BF16 loops and encodeChunk's BF16 loop in C (native/blas/src/decode.c) against
 * the JS ones: every one of the
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

  it('BF16 encode: rounding boundaries, every NaN and ∞ top half, random patterns, to the JS bytes', () => {
    const patterns: number[] = [];
    // each top half with low halves at and around the rounding boundary
    for (let top = 0; top < 65536; top++)
      for (const low of [0, 1, 0x7fff, 0x8000, 0x8001, 0xffff]) patterns.push(((top << 16) | low) >>> 0);
    let state = 7;
    for (let i = 0; i < 50_000; i++) patterns.push((state = (Math.imul(state, 1664525) + 1013904223) >>> 0));
    const values = new Float32Array(new Uint32Array(patterns).buffer);
    const encoded = (native: boolean, offset: number) => {
      expect(setNativeDecode(native)).toBe(native);
      const raw = new Uint8Array(2 * values.length + offset).subarray(offset);
      encodeChunk('BF16', values, raw);
      return raw;
    };
    for (const offset of [0, 1]) {
      const [native, js] = [encoded(true, offset), encoded(false, offset)];
      // (the first differing byte, if any: a deep equality over ~0.9 MB is slow)
      const first = native.findIndex((byte, i) => byte !== js[i]);
      expect(first, `pattern 0x${(patterns[first >> 1] ?? 0).toString(16)}`).toBe(-1);
    }
  }, 30_000);
});
