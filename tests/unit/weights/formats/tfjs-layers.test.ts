import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTfjsModel, writeTfjsModel } from '../../../../src-main/weights/formats/tfjs-layers';
import { tensorMapFromTensors } from '../../../../src-main/weights/tensor-map';
import { arraysOf, mapOf, noise } from '../helpers';

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const model = mapOf({
  'torso.dense1.kernel': [[20, 10], [...noise(200, 1)]],
  'torso.dense1.bias': [[10], [...noise(10, 2)]],
  'policy.kernel': [[10, 5], [...noise(50, 3)]],
});

describe('TensorFlow.js layers models', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips through model.json and small shards', () => {
    const topology = { class_name: 'Sequential', config: { name: 'x' } };
    const files = writeTfjsModel(model, { maxShardBytes: 256, modelTopology: topology });
    expect(files.shards.map((s) => s.path)).toEqual([
      'group1-shard1of5.bin',
      'group1-shard2of5.bin',
      'group1-shard3of5.bin',
      'group1-shard4of5.bin',
      'group1-shard5of5.bin',
    ]);
    expect(files.shards.every((s) => s.bytes.length <= 256)).toBe(true);
    const shards = new Map(files.shards.map((s) => [s.path, s.bytes]));
    const read = readTfjsModel(files.modelJson, (p) => shards.get(p));
    expect([...read.tensors.keys()]).toEqual([...model.keys()]);
    expect(arraysOf(read.tensors)).toEqual(arraysOf(model));
    expect(read.modelTopology).toEqual(topology);
    expect(read.metadata).toEqual({ format: 'layers-model', generatedBy: 'Deltascope' });
  });

  it('keeps shards at or under 4 MiB by default', () => {
    const big = tensorMapFromTensors([{ name: 'w', shape: [1_500_000], data: new Float32Array(1_500_000) }]);
    const files = writeTfjsModel(big);
    expect(files.shards.map((s) => s.bytes.length)).toEqual([4 * 1024 * 1024, 6_000_000 - 4 * 1024 * 1024]);
  });

  it('writes shards that TensorFlow.js itself decodes', () => {
    const files = writeTfjsModel(model, { maxShardBytes: 300 });
    const manifest = JSON.parse(files.modelJson) as {
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
    };
    const bytes = concat(files.shards.map((s) => s.bytes));
    const decoded = tf.io.decodeWeights(bytes.slice().buffer, manifest.weightsManifest[0]!.weights);
    for (const [name, tensor] of model) {
      expect([...decoded[name]!.dataSync()]).toEqual([...tensor.data]);
      expect(decoded[name]!.shape).toEqual(tensor.shape);
    }
  });

  it('reads weights that TensorFlow.js encoded, including int32', async () => {
    const { data, specs } = await tf.io.encodeWeights({
      'dense/kernel': tf.tensor2d([1.5, -2, 3, 4], [2, 2]),
      step: tf.tensor1d([7, -3], 'int32'),
    });
    const json = JSON.stringify({
      format: 'layers-model',
      weightsManifest: [{ paths: ['w.bin'], weights: specs }],
    });
    const bin = new Uint8Array(data as ArrayBuffer);
    const read = readTfjsModel(new TextEncoder().encode(json), (p) => (p === 'w.bin' ? bin : undefined));
    expect(arraysOf(read.tensors)).toEqual({ 'dense/kernel': [1.5, -2, 3, 4], step: [7, -3] });
    expect(read.sourceDtypes.step).toBe('int32');
  });

  it('dequantizes uint8, uint16 and float16 weights (v = min + scale·q)', () => {
    const u8 = Uint8Array.from([0, 1, 2, 255]);
    const u16 = Uint8Array.from([0x00, 0x01, 0x02, 0x00]); // 256, 2
    const f16 = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]); // 1, -2
    const json = JSON.stringify({
      weightsManifest: [
        {
          paths: ['q.bin'],
          weights: [
            {
              name: 'a',
              shape: [4],
              dtype: 'float32',
              quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
            },
            {
              name: 'b',
              shape: [2],
              dtype: 'float32',
              quantization: { dtype: 'uint16', scale: 0.25, min: 1 },
            },
            { name: 'c', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
          ],
        },
      ],
    });
    const bin = Uint8Array.from([...u8, ...u16, ...f16]);
    const read = readTfjsModel(json, () => bin);
    expect(arraysOf(read.tensors)).toEqual({ a: [-1, -0.5, 0, 126.5], b: [65, 1.5], c: [1, -2] });
    expect(read.sourceDtypes.a).toBe('float32 (uint8-quantized)');
  });

  it('reads several weight groups', () => {
    const g1 = new Uint8Array(Float32Array.from([1, 2]).buffer);
    const g2 = new Uint8Array(Float32Array.from([3]).buffer);
    const json = JSON.stringify({
      weightsManifest: [
        { paths: ['g1.bin'], weights: [{ name: 'x', shape: [2], dtype: 'float32' }] },
        { paths: ['g2.bin'], weights: [{ name: 'y', shape: [], dtype: 'float32' }] },
      ],
    });
    const read = readTfjsModel(json, (p) => (p === 'g1.bin' ? g1 : g2));
    expect(arraysOf(read.tensors)).toEqual({ x: [1, 2], y: [3] });
  });
});
