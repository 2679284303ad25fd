/**
 * Float64 reference implementations of our layers' forward passes, written as plain loops straight
 * from the definitions, and a central finite-difference gradient: the ground truth the tfjs
 * custom-gradient layers are checked against.
 */

export type Act = 'linear' | 'relu' | 'tanh';

export function act(z: number, a: Act): number {
  if (a === 'relu') return Math.max(0, z);
  if (a === 'tanh') return Math.tanh(z);
  return z;
}

/** y[n][o] = act(Σ_i x[n][i]·W[i][o] + b[o]), all row-major. */
export function denseRef(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  batch: number,
  inSize: number,
  outSize: number,
  a: Act,
): Float64Array {
  const y = new Float64Array(batch * outSize);
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < outSize; o++) {
      let z = b[o]!;
      for (let i = 0; i < inSize; i++) z += x[n * inSize + i]! * w[i * outSize + o]!;
      y[n * outSize + o] = act(z, a);
    }
  }
  return y;
}

/** NHWC conv, kernel [k,k,cin,cout], stride 1, zero padding (k−1)/2: y = act(conv + b). */
export function convRef(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  dims: { batch: number; h: number; w: number; cin: number; cout: number; k: number },
  a: Act,
): Float64Array {
  const { batch, h, w: width, cin, cout, k } = dims;
  const p = (k - 1) / 2;
  const y = new Float64Array(batch * h * width * cout);
  for (let n = 0; n < batch; n++)
    for (let r = 0; r < h; r++)
      for (let c = 0; c < width; c++)
        for (let o = 0; o < cout; o++) {
          let z = b[o]!;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const rr = r + i - p;
              const cc = c + j - p;
              if (rr < 0 || rr >= h || cc < 0 || cc >= width) continue;
              for (let ci = 0; ci < cin; ci++) {
                z += x[((n * h + rr) * width + cc) * cin + ci]! * w[((i * k + j) * cin + ci) * cout + o]!;
              }
            }
          y[((n * h + r) * width + c) * cout + o] = act(z, a);
        }
  return y;
}

/** ∂f/∂v[i] for every i by central differences with step h (v is restored). */
export function finiteDifference(f: () => number, v: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const old = v[i]!;
    v[i] = old + h;
    const up = f();
    v[i] = old - h;
    const down = f();
    v[i] = old;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** max |a − b| / max |b|: the error relative to the gradient's scale. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

/** Deterministic pseudo-random values in [−1, 1) (a small LCG: fixtures, not statistics). */
export function fixture(length: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
