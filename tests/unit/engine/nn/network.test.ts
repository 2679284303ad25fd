import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend';
import { countParams, createNetwork, type NetworkSpec } from '../../../../src-main/engine/nn/network';

const MLP: NetworkSpec = { kind: 'mlp', obsShape: [4, 11, 11], numActions: 4 };
const CNN: NetworkSpec = { kind: 'cnn', obsShape: [4, 11, 11], numActions: 4 };

/** max |WᵀW − g²I| over a kernel [in, out] with out ≤ in (orthonormal columns scaled by g). */
function orthogonalityError(data: Float32Array, rows: number, cols: number, gain: number): number {
  let err = 0;
  for (let a = 0; a < cols; a++) {
    for (let b = 0; b < cols; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += data[r * cols + a]! * data[r * cols + b]!;
      err = Math.max(err, Math.abs(s - (a === b ? gain * gain : 0)));
    }
  }
  return err;
}

// Building the reference CNN (998,005 parameters, orthogonal init by QR) takes ~1 s with the native
// kernels and 5–10 s on plain tfjs-wasm on a loaded 2-core machine: an honest limit, not vitest's 5 s.
describe('policy networks', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('have the reference parameter counts (MLP 191,237 and CNN 998,005 at S=11)', () => {
    expect(countParams(MLP)).toBe(191_237);
    expect(countParams(CNN)).toBe(998_005);
    const mlp = createNetwork(MLP, 1);
    const cnn = createNetwork(CNN, 1);
    expect(mlp.paramCount()).toBe(191_237);
    expect(cnn.paramCount()).toBe(998_005);
    mlp.dispose();
    cnn.dispose();
  });

  it('name parameters with stable dotted names in a fixed order', () => {
    const mlp = createNetwork(MLP, 1);
    expect(mlp.params.map((p) => `${p.name}:${p.variable.shape.join('x')}`)).toEqual([
      'torso.dense1.kernel:484x256',
      'torso.dense1.bias:256',
      'torso.dense2.kernel:256x256',
      'torso.dense2.bias:256',
      'policy.kernel:256x4',
      'policy.bias:4',
      'value.kernel:256x1',
      'value.bias:1',
    ]);
    const cnn = createNetwork({ ...CNN, channels: [8], denseWidth: 32 }, 1);
    expect(cnn.params.map((p) => `${p.name}:${p.variable.shape.join('x')}`)).toEqual([
      'torso.conv1.kernel:3x3x4x8',
      'torso.conv1.bias:8',
      'torso.dense1.kernel:968x32',
      'torso.dense1.bias:32',
      'policy.kernel:32x4',
      'policy.bias:4',
      'value.kernel:32x1',
      'value.bias:1',
    ]);
    mlp.dispose();
    cnn.dispose();
  });

  it('initialise orthogonally with the reference gains and zero biases', () => {
    const net = createNetwork({ ...MLP, hidden: [64, 32] }, 3);
    const w = Object.fromEntries(net.exportWeights().map((t) => [t.name, t]));
    expect(orthogonalityError(w['torso.dense1.kernel']!.data, 484, 64, Math.SQRT2)).toBeLessThan(1e-5);
    expect(orthogonalityError(w['torso.dense2.kernel']!.data, 64, 32, Math.SQRT2)).toBeLessThan(1e-5);
    expect(orthogonalityError(w['policy.kernel']!.data, 32, 4, 0.01)).toBeLessThan(1e-7);
    expect(orthogonalityError(w['value.kernel']!.data, 32, 1, 1)).toBeLessThan(1e-5);
    for (const name of ['torso.dense1.bias', 'torso.dense2.bias', 'policy.bias', 'value.bias']) {
      expect(w[name]!.data.every((x) => x === 0)).toBe(true);
    }
    net.dispose();
  });

  it('give the same initial weights for the same seed and different ones for another seed', () => {
    const a = createNetwork({ ...CNN, denseWidth: 16 }, 7).exportWeights();
    const b = createNetwork({ ...CNN, denseWidth: 16 }, 7).exportWeights();
    const c = createNetwork({ ...CNN, denseWidth: 16 }, 8).exportWeights();
    a.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(b[i]!.data)));
    expect(Array.from(a[0]!.data)).not.toEqual(Array.from(c[0]!.data));
  });

  it('output logits and value for a batch, and the CNN reads channel-major observations', () => {
    const net = createNetwork(
      { kind: 'cnn', obsShape: [2, 3, 3], numActions: 4, channels: [4], denseWidth: 8 },
      1,
    );
    const obs = tf.tensor2d([Array.from({ length: 18 }, (_, i) => (i % 5 === 0 ? 1 : 0))]);
    const out = tf.tidy(() => net.forward(obs));
    expect(out.shape).toEqual([1, 5]);
    expect(() => net.forward(tf.zeros([1, 17]) as tf.Tensor2D)).toThrow(
      /network input obs has shape \[1,17\]; expected \[batch, 18\]/,
    );
    tf.dispose([obs, out]);
    net.dispose();
  });

  it('export and import weights; import rejects a wrong shape or a missing tensor by name', () => {
    const a = createNetwork(MLP, 1);
    const b = createNetwork(MLP, 2);
    b.importWeights(a.exportWeights());
    b.exportWeights().forEach((t, i) =>
      expect(Array.from(t.data)).toEqual(Array.from(a.exportWeights()[i]!.data)),
    );
    const small = createNetwork({ kind: 'mlp', obsShape: [3, 11, 11], numActions: 4 }, 1).exportWeights();
    expect(() => b.importWeights(small)).toThrow(
      /`torso.dense1.kernel` has shape \[363,256\]; the network expects \[484,256\]/,
    );
    expect(() => b.importWeights(a.exportWeights().slice(1))).toThrow(/lack tensor `torso.dense1.kernel`/);
    a.dispose();
    b.dispose();
  });
});
