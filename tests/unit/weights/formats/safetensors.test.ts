import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../../../src-main/weights/formats/safetensors';
import { assembleSafetensors } from '../../../fixtures/broken-files';
import { arraysOf, expectError, mapOf, noise } from '../helpers';

/** A file whose one tensor `t` holds `bytes` under `dtype`, with the header padded to `pad` spaces. */
function oneTensorFile(dtype: string, shape: number[], bytes: number[], pad = 0): Uint8Array {
  const header = JSON.stringify({ t: { dtype, shape, data_offsets: [0, bytes.length] } }) + ' '.repeat(pad);
  return assembleSafetensors(header, Uint8Array.from(bytes));
}

/** Little-endian bytes of 16-bit words. */
const words16 = (words: number[]): number[] => words.flatMap((w) => [w & 0xff, w >> 8]);

describe('safetensors', () => {
  it('round-trips names, shapes, values and metadata', () => {
    const map = mapOf({
      'torso.dense1.kernel': [[16, 8], [...noise(128, 1)]],
      'torso.dense1.bias': [[8], [...noise(8, 2)]],
      'policy.kernel': [[8, 4], [...noise(32, 3)]],
      scalar: [[], [0.5]],
    });
    const bytes = writeSafetensors(map, { format: 'pt', source: 'deltascope' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
      string,
      unknown
    >;
    expect(header['policy.kernel']).toEqual({ dtype: 'F32', shape: [8, 4], data_offsets: [544, 672] });
    const read = readSafetensors(bytes);
    expect([...read.tensors.keys()]).toEqual([...map.keys()]);
    expect(arraysOf(read.tensors)).toEqual(arraysOf(map));
    expect(read.tensors.get('scalar')!.shape).toEqual([]);
    expect(read.metadata).toEqual({ format: 'pt', source: 'deltascope' });
    expect(read.sourceDtypes['policy.kernel']).toBe('F32');
  });

  it('reads F16, including subnormals, infinities and signed zero', () => {
    // 1, -2, 0.5, 65504 (max half), 2^-24 (smallest subnormal), -0, +∞, 0.333251953125
    const file = oneTensorFile(
      'F16',
      [8],
      words16([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555]),
    );
    const data = readSafetensors(file).tensors.get('t')!.data;
    expect([...data]).toEqual([1, -2, 0.5, 65504, 2 ** -24, -0, Infinity, 0.333251953125]);
    expect(Object.is(data[5], -0)).toBe(true);
    expect(readSafetensors(oneTensorFile('F16', [1], words16([0x7e00]))).tensors.get('t')!.data[0]).toBeNaN();
  });

  it('reads BF16 as the top half of a float32', () => {
    // 0x3F80 → 1, 0xC000 → -2, 0x4049 → 3.140625, 0x0001 → 2^-133 (float32 subnormal)
    const file = oneTensorFile('BF16', [2, 2], words16([0x3f80, 0xc000, 0x4049, 0x0001]));
    expect([...readSafetensors(file).tensors.get('t')!.data]).toEqual([1, -2, 3.140625, 2 ** -133]);
  });

  it('reads F64 rounded to float32', () => {
    const f64 = new DataView(new ArrayBuffer(24));
    [0.1, -3.5, 1e300].forEach((v, i) => f64.setFloat64(i * 8, v, true));
    const file = oneTensorFile('F64', [3], [...new Uint8Array(f64.buffer)]);
    const read = readSafetensors(file);
    expect([...read.tensors.get('t')!.data]).toEqual([Math.fround(0.1), -3.5, Infinity]);
    expect(read.sourceDtypes.t).toBe('F64');
  });

  it('reads F32 from a data section that is not 4-byte aligned', () => {
    const f32 = new Uint8Array(Float32Array.from([1.25, -7]).buffer);
    const header = JSON.stringify({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    const pad = [0, 1, 2, 3].find((p) => (8 + header.length + p) % 4 === 2)!;
    const file = oneTensorFile('F32', [2], [...f32], pad);
    expect((8 + Number(new DataView(file.buffer).getBigUint64(0, true))) % 4).not.toBe(0);
    expect([...readSafetensors(file).tensors.get('t')!.data]).toEqual([1.25, -7]);
  });

  it('keeps tensors in data order with their original names', () => {
    const header = JSON.stringify({
      'model.layers.0.weight': { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
      'model.embed': { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    });
    const file = assembleSafetensors(header, new Uint8Array(Float32Array.from([2, 3]).buffer));
    const read = readSafetensors(file);
    expect([...read.tensors.keys()]).toEqual(['model.embed', 'model.layers.0.weight']);
    expect(read.tensors.get('model.layers.0.weight')!.data[0]).toBe(3);
  });

  it('names the file in every error', () => {
    const error = expectError(() => readSafetensors(new Uint8Array(3), 'policy.safetensors'), 'INVALID_FILE');
    expect(error.message).toBe('policy.safetensors: file is 3 bytes, shorter than the 8-byte header length');
  });
});
