import { describe, expect, it } from 'vitest';
import {
  packTensorMap,
  paramCount,
  shapeSize,
  tensorMapFromManifest,
  tensorMapFromTensors,
  tensorParamCounts,
} from '../../../src-main/weights/tensor-map';
import { assertMatchingTensors, matchTensorMaps } from '../../../src-main/weights/tensor-match';
import { expectError, mapOf } from './helpers';

describe('tensor maps', () => {
  it('builds zero-copy views into the weights BLOB from a manifest', () => {
    const weights = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const map = tensorMapFromManifest(
      [
        { name: 'torso.dense1.kernel', shape: [2, 3], dtype: 'float32', byteOffset: 0, byteLength: 24 },
        { name: 'torso.dense1.bias', shape: [2], dtype: 'float32', byteOffset: 24, byteLength: 8 },
      ],
      weights,
    );
    expect([...map.keys()]).toEqual(['torso.dense1.kernel', 'torso.dense1.bias']);
    const bias = map.get('torso.dense1.bias')!;
    expect([...bias.data]).toEqual([7, 8]);
    expect(bias.data.buffer).toBe(weights.buffer);
    weights[6] = 70;
    expect(bias.data[0]).toBe(70);
    expect(paramCount(map)).toBe(8);
    expect(tensorParamCounts(map)).toEqual([
      { name: 'torso.dense1.kernel', shape: [2, 3], count: 6 },
      { name: 'torso.dense1.bias', shape: [2], count: 2 },
    ]);
  });

  it('honours a weights array that is itself a view with an offset', () => {
    const blob = Float32Array.from([9, 9, 1, 2, 3]);
    const map = tensorMapFromManifest(
      [{ name: 'w', shape: [3], dtype: 'float32', byteOffset: 0, byteLength: 12 }],
      blob.subarray(2),
    );
    expect([...map.get('w')!.data]).toEqual([1, 2, 3]);
  });

  it('rejects manifests that do not fit the BLOB, naming the tensor', () => {
    const weights = new Float32Array(4);
    const entry = {
      name: 'policy.kernel',
      shape: [2, 2],
      dtype: 'float32' as const,
      byteOffset: 0,
      byteLength: 16,
    };
    expect(
      expectError(
        () => tensorMapFromManifest([{ ...entry, byteLength: 12 }], weights, 'checkpoint 7'),
        'INVALID_FILE',
      ).message,
    ).toBe('checkpoint 7: tensor `policy.kernel` has shape [2,2] (16 bytes) but a byte length of 12');
    expect(
      expectError(() => tensorMapFromManifest([{ ...entry, byteOffset: 4 }], weights), 'INVALID_FILE')
        .message,
    ).toMatch(/spans bytes 4\.\.20 but the weights hold 16 bytes/);
    expect(
      expectError(
        () => tensorMapFromManifest([{ ...entry, shape: [1], byteLength: 4, byteOffset: 2 }], weights),
        'INVALID_FILE',
      ).message,
    ).toMatch(/not a multiple of 4/);
    expect(expectError(() => tensorMapFromManifest([entry, entry], weights), 'INVALID_FILE').message).toMatch(
      /appears twice/,
    );
  });

  it('checks element counts when building from tensors', () => {
    const error = expectError(
      () => tensorMapFromTensors([{ name: 'w', shape: [2, 3], data: new Float32Array(5) }]),
      'SHAPE_MISMATCH',
    );
    expect(error.message).toBe('tensors: tensor `w` has shape [2,3] (6 elements) but 5 values');
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([4, 0, 2])).toBe(0);
  });

  it('packs a map into one contiguous buffer and back', () => {
    const map = mapOf({
      a: [[2], [1, 2]],
      b: [
        [1, 3],
        [3, 4, 5],
      ],
    });
    const { manifest, weights } = packTensorMap(map);
    expect([...weights]).toEqual([1, 2, 3, 4, 5]);
    expect(manifest.map((e) => [e.name, e.byteOffset, e.byteLength])).toEqual([
      ['a', 0, 8],
      ['b', 8, 12],
    ]);
    const back = tensorMapFromManifest(manifest, weights);
    expect([...back.get('b')!.data]).toEqual([3, 4, 5]);
    expect(back.get('b')!.shape).toEqual([1, 3]);
  });
});

describe('matching tensor maps', () => {
  it('lists each mismatch in the message', () => {
    const a = mapOf({
      'torso.dense1.kernel': [
        [2, 2],
        [0, 0, 0, 0],
      ],
      'value.kernel': [[1], [0]],
    });
    const b = mapOf({
      'torso.dense1.kernel': [
        [1, 2],
        [0, 0],
      ],
      'value.kernel': [[1], [0]],
      'value.bias': [[1], [0]],
    });
    const { common, mismatches } = matchTensorMaps([a, b]);
    expect(common).toEqual(['value.kernel']);
    expect(mismatches).toHaveLength(2);
    const error = expectError(
      () => assertMatchingTensors([a, b], ['checkpoint 12', 'checkpoint 31']),
      'SHAPE_MISMATCH',
    );
    expect(error.message).toBe(
      'checkpoint 12 and checkpoint 31 do not have the same tensors: tensor `torso.dense1.kernel`: checkpoint 12 has [2,2], checkpoint 31 has [1,2]; `value.bias` only in checkpoint 31',
    );
  });

  it('names the maps a tensor is missing from when there are more than two', () => {
    const full = mapOf({ w: [[1], [0]], b: [[1], [0]] });
    const partial = mapOf({ w: [[1], [0]] });
    const error = expectError(() => assertMatchingTensors([full, full, partial]), 'SHAPE_MISMATCH');
    expect(error.message).toBe('A, B, C do not have the same tensors: `b` missing from C');
  });

  it('shortens very long mismatch lists but keeps them all in details', () => {
    const a = mapOf(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, [[1], [0]]])));
    const b = mapOf({});
    const error = expectError(() => assertMatchingTensors([a, b]), 'SHAPE_MISMATCH');
    expect(error.message).toMatch(/`t11` only in A; and 18 more$/);
    expect((error.details?.mismatches as unknown[]).length).toBe(30);
  });
});
