import * as tf from '@tensorflow/tfjs-core';

/**
 * A few tiny products through the freshly installed native kernels of the wasm backend, compared with
 * plain JS loops, before the backend's label may say "native". The kernels read tfjs-wasm's
 * internals (the heap, tensor offsets, makeOutput); a tfjs version whose internals moved, or an addon
 * that computes wrongly, shows up here as a wrong number rather than as a silently wrong training.
 * Inputs are small multiples of 1/4, so float32 sums are exact and the tolerance only absorbs order.
 */

const TOLERANCE = 1e-4;

/** Deterministic, exactly representable test values in [−1.25, 1.25]. */
function values(count: number, salt: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (((i * 7 + salt * 3) % 11) - 5) / 4;
  return out;
}

/** C = A·Bᵀ (+ bias, relu) for row-major A [m, k], B [n, k]. */
function matMulReference(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  bias: Float32Array | null,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias === null ? 0 : bias[j]!;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
      c[i * n + j] = bias === null ? s : Math.max(0, s);
    }
  }
  return c;
}

interface ConvReference {
  y: Float64Array;
  dW: Float64Array;
  dx: Float64Array;
}

/**
 * One NHWC image [h, w, cin], HWIO filter [k, k, cin, cout], stride 1, 'same' padding: the output
 * y, and for an output gradient dy the filter gradient dW and the input gradient dx, in one loop:
 *   y[oy,ox,o] = Σ x[oy+fy−p, ox+fx−p, c]·W[fy,fx,c,o]; dW and dx are its two adjoints.
 */
function convReference(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  [h, wd, cin, k, cout]: readonly number[],
): ConvReference {
  const [H, Wd, C, K, O] = [h!, wd!, cin!, k!, cout!];
  const p = (K - 1) / 2;
  const y = new Float64Array(H * Wd * O);
  const dW = new Float64Array(K * K * C * O);
  const dx = new Float64Array(H * Wd * C);
  for (let oy = 0; oy < H; oy++) {
    for (let ox = 0; ox < Wd; ox++) {
      for (let fy = 0; fy < K; fy++) {
        for (let fx = 0; fx < K; fx++) {
          const iy = oy + fy - p;
          const ix = ox + fx - p;
          if (iy < 0 || iy >= H || ix < 0 || ix >= Wd) continue;
          for (let c = 0; c < C; c++) {
            for (let o = 0; o < O; o++) {
              const xi = (iy * Wd + ix) * C + c;
              const wi = ((fy * K + fx) * C + c) * O + o;
              const yi = (oy * Wd + ox) * O + o;
              y[yi]! += x[xi]! * w[wi]!;
              dW[wi]! += x[xi]! * dy[yi]!;
              dx[xi]! += dy[yi]! * w[wi]!;
            }
          }
        }
      }
    }
  }
  return { y, dW, dx };
}

/** The largest difference, or a message naming the check when shapes or values disagree. */
function compare(name: string, actual: tf.Tensor, expected: Float64Array): string | null {
  const data = actual.dataSync();
  if (data.length !== expected.length) {
    return `${name} gave ${data.length} values where ${expected.length} were expected`;
  }
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(data[i]! - expected[i]!);
    if (!(diff <= TOLERANCE))
      return `${name}: element ${i} is ${data[i]} where the JS reference gives ${expected[i]}`;
  }
  return null;
}

/**
 * Runs the self-test on the active (wasm) backend; null when every product matches, else what
 * failed (a thrown error counts as a failure).
 */
export function nativeKernelSelfTestFailure(): string | null {
  let failure: string | null = null;
  try {
    tf.tidy(() => {
      const [m, n, k] = [5, 4, 7];
      const a = values(m * k, 1);
      const b = values(n * k, 2);
      const bias = values(n, 3);
      const product = tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [n, k]), false, true);
      const fused = tf.fused.matMul({
        a: tf.tensor2d(a, [m, k]),
        b: tf.tensor2d(b, [n, k]),
        transposeB: true,
        bias: tf.tensor1d(bias),
        activation: 'relu',
      });
      const shape = [5, 6, 3, 3, 2] as const; // h, w, cin, k, cout
      const [h, w, cin, ks, cout] = shape;
      const x = values(h * w * cin, 4);
      const filter = values(ks * ks * cin * cout, 5);
      const dy = values(h * w * cout, 6);
      const ref = convReference(x, filter, dy, shape);
      const x4 = tf.tensor4d(x, [1, h, w, cin]);
      const f4 = tf.tensor4d(filter, [ks, ks, cin, cout]);
      const dy4 = tf.tensor4d(dy, [1, h, w, cout]);
      const conv = tf.conv2d(x4, f4, 1, 'same');
      const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
      const dW = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: x4, dy: dy4 }, {
        ...attrs,
        filterShape: [ks, ks, cin, cout],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy4, filter: f4 }, {
        ...attrs,
        inputShape: [1, h, w, cin],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
      failure =
        compare('matMul(A, Bᵀ)', product, matMulReference(a, b, m, n, k, null)) ??
        compare('fused matMul + bias + relu', fused, matMulReference(a, b, m, n, k, bias)) ??
        compare('conv2d 3×3 same', conv, ref.y) ??
        compare('Conv2DBackpropFilter', dW, ref.dW) ??
        compare('Conv2DBackpropInput', dx, ref.dx);
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return failure;
}
