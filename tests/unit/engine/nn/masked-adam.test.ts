import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend';
import { MaskedAdam } from '../../../../src-main/engine/nn/masked-adam';
import type { NamedParam } from '../../../../src-main/engine/nn/weights-io';
import { fixture } from './reference-math';

function makeParams(values: number[][]): NamedParam[] {
  return values.map((v, i) => ({
    name: `p${i}`,
    variable: tf.variable(tf.tensor1d(v), true, `adam-test-${Math.random()}`),
  }));
}

const read = (p: NamedParam): number[] => Array.from(p.variable.dataSync());

/** torch.optim.Adam on a flat vector in float64, after clip_grad_norm_(maxNorm). */
function torchAdam(p: number[], grads: number[][], lr: number, maxNorm: number): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out = [...p];
  grads.forEach((g0, step) => {
    const norm = Math.sqrt(g0.reduce((s, x) => s + x * x, 0));
    const g = g0.map((x) => x * Math.min(1, maxNorm / (norm + 1e-6)));
    const t = step + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-5;
      out[i] = out[i]! - (lr / (1 - 0.9 ** t)) * (m[i]! / denom);
    }
  });
  return out;
}

describe('MaskedAdam', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('follows torch Adam with global-norm clipping over several steps', () => {
    const start = [
      [0.5, -1, 2],
      [0.25, 3],
    ];
    const params = makeParams(start);
    const adam = new MaskedAdam(params, { learningRate: 0.01, maxGradNorm: 0.5 });
    const grads = [0, 1, 2, 3].map((s) => Array.from(fixture(5, 40 + s)).map((x) => x * (s + 1)));
    for (const g of grads) adam.step([tf.tensor1d(g.slice(0, 3)), tf.tensor1d(g.slice(3))]);
    const expected = torchAdam(start.flat(), grads, 0.01, 0.5);
    const got = [...read(params[0]!), ...read(params[1]!)];
    got.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
    expect(adam.stepCount).toBe(4);
  });

  it('never changes masked elements or their moments, bit for bit, while unmasked ones train', () => {
    const init = Array.from(fixture(64, 1));
    const params = makeParams([init, [1, 2, 3]]);
    const adam = new MaskedAdam(params, { learningRate: 0.05 });
    const mask = new Float32Array(64).map((_, i) => (i % 3 === 0 ? 0 : 1));
    adam.setMask('p0', mask);
    adam.freeze('p1');
    const before = new Float32Array(params[0]!.variable.dataSync());
    for (let s = 0; s < 50; s++) {
      tf.tidy(() =>
        adam.step([tf.tensor1d(Float32Array.from(fixture(64, 100 + s))), tf.tensor1d([1, -1, 1])]),
      );
    }
    const after = params[0]!.variable.dataSync();
    const state = adam.exportState();
    for (let i = 0; i < 64; i++) {
      if (mask[i] === 0) {
        expect(Object.is(after[i], before[i])).toBe(true);
        expect(state.moments[0]!.m[i]).toBe(0);
        expect(state.moments[0]!.v[i]).toBe(0);
      } else {
        expect(after[i]).not.toBe(before[i]);
      }
    }
    expect(read(params[1]!)).toEqual([1, 2, 3]);
    expect(() => adam.setMask('p0', new Float32Array(3))).toThrow(
      /mask for `p0` has 3 elements; the parameter \[64\] has 64/,
    );
  });

  it('excludes masked gradients from the clip norm', () => {
    const a = makeParams([[0, 0]]);
    const b = makeParams([[0, 0, 0]]);
    const clipped = new MaskedAdam(a, { learningRate: 0.1, maxGradNorm: 1 });
    const masked = new MaskedAdam(b, { learningRate: 0.1, maxGradNorm: 1 });
    masked.setMask('p0', new Float32Array([1, 1, 0]));
    clipped.step([tf.tensor1d([0.3, 0.4])]);
    masked.step([tf.tensor1d([0.3, 0.4, 1000])]);
    expect(masked.lastGradNorm).toBeCloseTo(0.5, 6);
    expect(read(b[0]!).slice(0, 2)).toEqual(read(a[0]!));
  });

  it('picks up parameter values assigned outside the optimizer between steps', () => {
    const params = makeParams([[1, 2, 3]]);
    const adam = new MaskedAdam(params, { learningRate: 0.1 });
    adam.setMask('p0', new Float32Array([0, 1, 1]));
    adam.step([tf.tensor1d([1, 1, 1])]);
    params[0]!.variable.assign(tf.tensor1d([7, 8, 9]));
    adam.step([tf.tensor1d([1, 1, 1])]);
    const [frozen, trained] = read(params[0]!);
    expect(frozen).toBe(7);
    expect(trained).toBeCloseTo(8 - 0.1, 5); // Adam's step is ≈ lr for a constant gradient
  });

  it('exports and imports its state so that training continues identically', () => {
    const grads = [0, 1, 2, 3, 4, 5].map((s) => tf.tensor1d(Float32Array.from(fixture(8, 200 + s))));
    const a = makeParams([Array.from(fixture(8, 3))]);
    const adamA = new MaskedAdam(a);
    grads.forEach((g) => adamA.step([g]));
    const b = makeParams([Array.from(fixture(8, 3))]);
    const adamB = new MaskedAdam(b);
    grads.slice(0, 3).forEach((g) => adamB.step([g]));
    const c = makeParams([read(b[0]!)]);
    const adamC = new MaskedAdam(c);
    adamC.importState(adamB.exportState());
    grads.slice(3).forEach((g) => adamC.step([g]));
    expect(read(c[0]!)).toEqual(read(a[0]!));
    expect(() =>
      adamC.importState({
        step: 1,
        moments: [{ name: 'p0', m: new Float32Array(2), v: new Float32Array(2) }],
      }),
    ).toThrow(/optimizer state of `p0` has 2\/2 moments; the parameter has 8 elements/);
  });
  it('steps from host arrays exactly as from tensors, and rejects a wrong-sized gradient', () => {
    const init = [Array.from(fixture(7, 31)), Array.from(fixture(3, 32))];
    const fromTensors = makeParams(init);
    const fromArrays = makeParams(init);
    const a = new MaskedAdam(fromTensors, { maxGradNorm: 0.5 });
    const b = new MaskedAdam(fromArrays, { maxGradNorm: 0.5 });
    for (let step = 0; step < 3; step++) {
      const grads = [Float32Array.from(fixture(7, 40 + step)), Float32Array.from(fixture(3, 50 + step))];
      tf.tidy(() =>
        a.step(
          grads.map((g) => tf.tensor1d(g)),
          1e-2,
        ),
      );
      b.stepArrays(grads, 1e-2);
    }
    fromArrays.forEach((p, i) => expect(read(p)).toEqual(read(fromTensors[i]!)));
    expect(b.exportState()).toEqual(a.exportState());
    expect(Array.from(b.stepValues[0]!)).toEqual(read(fromArrays[0]!));
    expect(() => b.stepArrays([new Float32Array(7), new Float32Array(2)])).toThrow(
      /sizes \[7,2\]; the parameters have \[7,3\]/,
    );
  });
});
