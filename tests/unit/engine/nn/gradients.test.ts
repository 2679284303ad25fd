import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, setNativeBlas, type BackendChoice } from '../../../../src-main/engine/backend';
import { conv2d } from '../../../../src-main/engine/nn/conv';
import { dense, denseHeads } from '../../../../src-main/engine/nn/dense';
import { convRef, denseRef, dot, finiteDifference, fixture, relativeError, type Act } from './reference-math';

/**
 * Our hand-written layer gradients (tf.customGrad) against float64 finite differences of plain-loop
 * forward passes. The loss is L = Σ y ⊙ R for a fixed R, so dL/dy = R and the test checks the whole
 * vector–Jacobian product of each layer, on wasm (what trains) and on cpu.
 */

const TOLERANCE = 1e-4;

/** Gradients of L = Σ f(inputs) ⊙ R w.r.t. every input, through tf.grads of our ops. */
function tfGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], r: Float64Array): Float32Array[] {
  return tf.tidy(() => {
    const rT = tf.tensor(Float32Array.from(r));
    const lossOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const y = args[0] as tf.Tensor;
      return {
        value: tf.sum(tf.mul(y, tf.reshape(rT, y.shape))),
        gradFunc: (dy: tf.Tensor) => [tf.mul(tf.reshape(rT, y.shape), dy)],
      };
    });
    const grads = tf.grads((...xs: tf.Tensor[]) => lossOp(f(...xs)) as tf.Scalar)(inputs);
    return grads.map((g) => g.dataSync() as Float32Array).map((d) => d.slice());
  });
}

function tensorOf(data: Float64Array, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(data), shape);
}

// 'wasm' uses the native BLAS kernels when the machine has a BLAS (their gradients take the transpose
// flags and the Conv2DBackpropFilter kernel); 'wasm-plain' forces tfjs-wasm's own kernels and the
// explicit-transpose / forward-conv gradients.
for (const variant of ['wasm', 'wasm-plain', 'cpu'] as const) {
  const backend: BackendChoice = variant === 'cpu' ? 'cpu' : 'wasm';
  describe(`layer gradients on ${variant}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
      if (variant === 'wasm-plain') setNativeBlas(false);
    });
    afterAll(() => {
      if (variant === 'wasm-plain') setNativeBlas(true);
      tf.disposeVariables();
    });

    for (const activation of ['linear', 'relu', 'tanh'] as Act[]) {
      it(`dense (${activation}) matches finite differences for x, W and b`, () => {
        const [batch, inSize, outSize] = [3, 7, 5];
        const x = fixture(batch * inSize, 1);
        const w = fixture(inSize * outSize, 2);
        const b = fixture(outSize, 3);
        const r = fixture(batch * outSize, 4);
        const loss = (): number => dot(denseRef(x, w, b, batch, inSize, outSize, activation), r);
        const expected = [finiteDifference(loss, x), finiteDifference(loss, w), finiteDifference(loss, b)];
        const inputs = [tensorOf(x, [batch, inSize]), tensorOf(w, [inSize, outSize]), tensorOf(b, [outSize])];
        const got = tfGrads(
          (xi, wi, bi) => dense(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D, activation),
          inputs,
          r,
        );
        got.forEach((g, i) => expect(relativeError(g, expected[i]!)).toBeLessThan(TOLERANCE));
        const forward = tf.tidy(() =>
          dense(
            inputs[0] as tf.Tensor2D,
            inputs[1] as tf.Tensor2D,
            inputs[2] as tf.Tensor1D,
            activation,
          ).dataSync(),
        );
        expect(relativeError(forward, denseRef(x, w, b, batch, inSize, outSize, activation))).toBeLessThan(
          1e-5,
        );
        tf.dispose(inputs);
      });
    }

    it('dense without input gradient gives the same W and b gradients and flattens rank-4 input', () => {
      const x = fixture(2 * 3 * 3 * 2, 5);
      const w = fixture(18 * 4, 6);
      const b = fixture(4, 7);
      const r = fixture(2 * 4, 8);
      const loss = (): number => dot(denseRef(x, w, b, 2, 18, 4, 'relu'), r);
      const expected = [finiteDifference(loss, w), finiteDifference(loss, b)];
      const xT = tensorOf(x, [2, 3, 3, 2]);
      const inputs = [tensorOf(w, [18, 4]), tensorOf(b, [4])];
      const got = tfGrads(
        (wi, bi) => dense(xT, wi as tf.Tensor2D, bi as tf.Tensor1D, 'relu', false),
        inputs,
        r,
      );
      got.forEach((g, i) => expect(relativeError(g, expected[i]!)).toBeLessThan(TOLERANCE));
      const withInput = tfGrads(
        (xi, wi, bi) => dense(xi!, wi as tf.Tensor2D, bi as tf.Tensor1D, 'relu'),
        [xT, ...inputs],
        r,
      );
      expect(relativeError(withInput[0]!, finiteDifference(loss, x))).toBeLessThan(TOLERANCE);
      expect(withInput[0]!.length).toBe(36);
      tf.dispose([xT, ...inputs]);
    });

    it('fused heads match two separate dense layers and finite differences', () => {
      const [batch, inSize] = [16, 6]; // batch·in > batch·out + in·out: the dW = (dZᵀ·X)ᵀ path
      const x = fixture(batch * inSize, 9);
      const w1 = fixture(inSize * 3, 10);
      const b1 = fixture(3, 11);
      const w2 = fixture(inSize, 12);
      const b2 = fixture(1, 13);
      const r = fixture(batch * 4, 14);
      const loss = (): number => {
        const y1 = denseRef(x, w1, b1, batch, inSize, 3, 'linear');
        const y2 = denseRef(x, w2, b2, batch, inSize, 1, 'linear');
        let s = 0;
        for (let n = 0; n < batch; n++) {
          for (let o = 0; o < 3; o++) s += y1[n * 3 + o]! * r[n * 4 + o]!;
          s += y2[n]! * r[n * 4 + 3]!;
        }
        return s;
      };
      const expected = [x, w1, b1, w2, b2].map((v) => finiteDifference(loss, v));
      const inputs = [
        tensorOf(x, [batch, inSize]),
        tensorOf(w1, [inSize, 3]),
        tensorOf(b1, [3]),
        tensorOf(w2, [inSize, 1]),
        tensorOf(b2, [1]),
      ];
      const got = tfGrads(
        (xi, k1, c1, k2, c2) =>
          denseHeads(xi as tf.Tensor2D, [
            [k1 as tf.Tensor2D, c1 as tf.Tensor1D],
            [k2 as tf.Tensor2D, c2 as tf.Tensor1D],
          ]),
        inputs,
        r,
      );
      got.forEach((g, i) => expect(relativeError(g, expected[i]!)).toBeLessThan(TOLERANCE));
      tf.dispose(inputs);
    });

    for (const activation of ['relu', 'linear'] as Act[]) {
      it(`conv2d 3×3 same (${activation}) matches finite differences for x, W and b`, () => {
        const dims = { batch: 2, h: 5, w: 4, cin: 3, cout: 4, k: 3 };
        const x = fixture(2 * 5 * 4 * 3, 15);
        const w = fixture(3 * 3 * 3 * 4, 16);
        const b = fixture(4, 17);
        const r = fixture(2 * 5 * 4 * 4, 18);
        const loss = (): number => dot(convRef(x, w, b, dims, activation), r);
        const expected = [finiteDifference(loss, x), finiteDifference(loss, w), finiteDifference(loss, b)];
        const inputs = [tensorOf(x, [2, 5, 4, 3]), tensorOf(w, [3, 3, 3, 4]), tensorOf(b, [4])];
        const got = tfGrads(
          (xi, wi, bi) => conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, activation),
          inputs,
          r,
        );
        got.forEach((g, i) => expect(relativeError(g, expected[i]!)).toBeLessThan(TOLERANCE));
        const noInput = tfGrads(
          (wi, bi) =>
            conv2d(inputs[0] as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, activation, false),
          inputs.slice(1),
          r,
        );
        noInput.forEach((g, i) => expect(relativeError(g, expected[i + 1]!)).toBeLessThan(TOLERANCE));
        tf.dispose(inputs);
      });
    }

    it('conv2d with a 5×5 kernel (padding 2) matches finite differences', () => {
      const dims = { batch: 1, h: 6, w: 6, cin: 2, cout: 2, k: 5 };
      const x = fixture(72, 19);
      const w = fixture(5 * 5 * 2 * 2, 20);
      const b = fixture(2, 21);
      const r = fixture(72, 22);
      const loss = (): number => dot(convRef(x, w, b, dims, 'linear'), r);
      const expected = [finiteDifference(loss, x), finiteDifference(loss, w)];
      const inputs = [tensorOf(x, [1, 6, 6, 2]), tensorOf(w, [5, 5, 2, 2]), tensorOf(b, [2])];
      const got = tfGrads(
        (xi, wi, bi) => conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D),
        inputs,
        r,
      );
      expect(relativeError(got[0]!, expected[0]!)).toBeLessThan(TOLERANCE);
      expect(relativeError(got[1]!, expected[1]!)).toBeLessThan(TOLERANCE);
      tf.dispose(inputs);
    });

    it('rejects mismatched shapes with an error naming the argument and its shape', () => {
      const x = tf.zeros([2, 5]) as tf.Tensor2D;
      const w = tf.zeros([4, 3]) as tf.Tensor2D;
      const b = tf.zeros([3]) as tf.Tensor1D;
      expect(() => dense(x, w, b)).toThrow(/dense kernel has shape \[4,3\]; expected \[5, out\]/);
      const x4 = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
      const k = tf.zeros([2, 2, 2, 3]) as tf.Tensor4D;
      expect(() => conv2d(x4, k, b)).toThrow(/conv2d kernel has shape \[2,2,2,3\]/);
      tf.dispose([x, w, b, x4, k]);
    });
  });
}
