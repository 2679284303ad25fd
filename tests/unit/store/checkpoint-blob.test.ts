import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeltascopeError } from '../../../src-main/shared';
import {
  float32View,
  manifestProblem,
  packTensors,
  sliceTensors,
} from '../../../src-main/store/checkpoint-blob';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DeltascopeError ? error.code : 'not a DeltascopeError';
  }
  return undefined;
}

describe('packTensors', () => {
  it('lays tensors back to back and hashes the bytes', () => {
    const a = Float32Array.from([1, -0, Number.NaN]);
    const b = Float32Array.from([2.5, 3.5]);
    const packed = packTensors([
      { name: 'a', shape: [3], data: a },
      { name: 'b', shape: [1, 2], data: b },
    ]);
    expect(packed.manifest).toEqual([
      { name: 'a', shape: [3], dtype: 'float32', byteOffset: 0, byteLength: 12 },
      { name: 'b', shape: [1, 2], dtype: 'float32', byteOffset: 12, byteLength: 8 },
    ]);
    expect(packed.paramCount).toBe(5);
    const expected = Buffer.concat([Buffer.from(a.buffer), Buffer.from(b.buffer)]);
    expect(packed.blob.equals(expected)).toBe(true);
    expect(packed.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
  });

  it('copies only the viewed part of a subarray', () => {
    const backing = Float32Array.from([9, 1, 2, 9]);
    const packed = packTensors([{ name: 'middle', shape: [2], data: backing.subarray(1, 3) }]);
    expect(Array.from(new Float32Array(packed.blob.buffer, packed.blob.byteOffset, 2))).toEqual([1, 2]);
  });

  it('names the tensor whose shape does not match its data', () => {
    expect(() =>
      packTensors([{ name: 'policy.kernel', shape: [64, 4], data: new Float32Array(255) }]),
    ).toThrow('Tensor `policy.kernel` has shape [64,4] (256 values) but holds 255 values.');
    expect(codeOf(() => packTensors([{ name: 'x', shape: [2], data: new Float32Array(3) }]))).toBe(
      'SHAPE_MISMATCH',
    );
    expect(codeOf(() => packTensors([{ name: 'x', shape: [-1], data: new Float32Array(1) }]))).toBe(
      'SHAPE_MISMATCH',
    );
  });

  it('refuses empty checkpoints, duplicate names and non-float32 data', () => {
    expect(codeOf(() => packTensors([]))).toBe('INVALID_PAYLOAD');
    const t = { name: 'w', shape: [1], data: new Float32Array(1) };
    expect(() => packTensors([t, t])).toThrow('Tensor `w` appears twice');
    const wrong = { name: 'w', shape: [1], data: new Float64Array(1) as unknown as Float32Array };
    expect(codeOf(() => packTensors([wrong]))).toBe('INVALID_PAYLOAD');
  });
});

describe('reading weights back', () => {
  it('views aligned bytes without copying and copies unaligned bytes', () => {
    const aligned = new Uint8Array(Float32Array.from([1, 2]).buffer);
    expect(float32View(aligned).buffer).toBe(aligned.buffer);
    const backing = new Uint8Array(9);
    backing.set(new Uint8Array(Float32Array.from([1.5, -2]).buffer), 1);
    const unaligned = backing.subarray(1);
    expect(Array.from(float32View(unaligned))).toEqual([1.5, -2]);
    expect(codeOf(() => float32View(new Uint8Array(6)))).toBe('DATABASE_CORRUPT');
  });

  it('slices named tensors as views and spots manifests that do not fit', () => {
    const weights = Float32Array.from([1, 2, 3, 4, 5]);
    const manifest = [
      { name: 'k', shape: [2, 2], dtype: 'float32' as const, byteOffset: 0, byteLength: 16 },
      { name: 'b', shape: [1], dtype: 'float32' as const, byteOffset: 16, byteLength: 4 },
    ];
    expect(manifestProblem(manifest, 20)).toBeNull();
    const tensors = sliceTensors(manifest, weights);
    expect(Array.from(tensors.get('k')!.data)).toEqual([1, 2, 3, 4]);
    expect(tensors.get('b')!.data.buffer).toBe(weights.buffer);
    expect(manifestProblem(manifest, 16)).toMatch(/`b` ends at byte 20, past the 16-byte weights/);
    expect(manifestProblem([{ ...manifest[0]!, byteLength: 12 }], 20)).toMatch(
      /`k` has shape \[2,2\] but 12 bytes/,
    );
  });
});
