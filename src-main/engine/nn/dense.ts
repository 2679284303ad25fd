import * as tf from '@tensorflow/tfjs-core';
import {
  activationGrad,
  applyUnfused,
  fusedActivation,
  fusedMatMulKernel,
  type Activation,
} from './activation';
import { fullKernelSet } from './kernel-caps';
import { checkShape } from './shape-check';

/**
 * Dense layers with hand-written gradients. On plain wasm, matMul with a transpose flag falls to a
 * scalar loop (≈15× slower than the XNNPACK path), so there every product below transposes
 * explicitly and calls a plain matMul; where the flags are fast (native BLAS, tfjs-node) they are
 * used instead. The bias gradient is 1ᵀ·dZ (a matMul), because wasm's column Sum is slow too.
 */

type Tensors = tf.Tensor[];

/** Features per example: x [batch, …] is used as [batch, Π…]. */
function featureSize(x: tf.Tensor): number {
  return x.shape.slice(1).reduce((a, b) => a * b, 1);
}

function checkDense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): void {
  checkShape(x.rank >= 2, 'dense input x', x.shape, '[batch, in] or [batch, …] (flattened)');
  const inSize = featureSize(x);
  checkShape(
    kernel.rank === 2 && kernel.shape[0] === inSize,
    'dense kernel',
    kernel.shape,
    `[${inSize}, out]`,
  );
  checkShape(
    bias.rank === 1 && bias.shape[0] === kernel.shape[1],
    'dense bias',
    bias.shape,
    `[${kernel.shape[1]}]`,
  );
}

/** z = x·W + b with the tanh/relu/linear activation: y = act(z). */
function forward(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, activation: Activation): tf.Tensor2D {
  const z = fusedMatMulKernel(flatten(x), kernel as tf.Tensor2D, bias, fusedActivation(activation));
  return applyUnfused(z, activation) as tf.Tensor2D;
}

/** x as [batch, features] (a free reshape). */
function flatten(x: tf.Tensor): tf.Tensor2D {
  return x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0]!, featureSize(x)]);
}

/** op(a)·op(b), with explicit transposes where the backend's transpose flags are slow. */
function matMulT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (fullKernelSet()) return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** 1ᵀ·m: column sums of a 2-D tensor as a 1-D tensor. */
export function columnSum(m: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, m.shape[0]]), m), [m.shape[1]]);
}

/**
 * dW = Xᵀ·dZ, db = 1ᵀ·dZ. When the layer is narrow (the heads: out ≪ batch) dW = (dZᵀ·X)ᵀ instead:
 * transposing dZ [batch, out] and the [out, in] result moves far less data than transposing X.
 */
function paramGrads(x: tf.Tensor, dz: tf.Tensor): Tensors {
  const x2 = flatten(x);
  const dz2 = dz as tf.Tensor2D;
  const [batch, inSize] = x2.shape;
  const outSize = dz2.shape[1];
  const dW =
    !fullKernelSet() && batch * inSize > batch * outSize + inSize * outSize
      ? tf.transpose(tf.matMul(tf.transpose(dz2), x2))
      : matMulT(x2, dz2, true, false);
  return [dW, columnSum(dz2)];
}

const withInputOps = new Map<Activation, (...inputs: tf.Tensor[]) => tf.Tensor2D>();

/** The tf.customGrad op over (x, W, b) for one activation: dZ = dY·act'(y), dX = dZ·Wᵀ, dW, db. */
function denseOp(activation: Activation): (...inputs: tf.Tensor[]) => tf.Tensor2D {
  const found = withInputOps.get(activation);
  if (found !== undefined) return found;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias] = args as Tensors;
    const save = args[3] as tf.GradSaveFunc;
    const y = forward(x!, kernel!, bias!, activation);
    save([x!, kernel!, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: Tensors) => {
        const [sx, sk, sy] = saved as [tf.Tensor, tf.Tensor2D, tf.Tensor2D];
        const dz = activationGrad(dy, sy, activation) as tf.Tensor2D;
        return [tf.reshape(matMulT(dz, sk, false, true), sx.shape), ...paramGrads(sx, dz)];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor2D;
  withInputOps.set(activation, op);
  return op;
}

/** The op over (W, b) only; x is closed over, so the tape holds no edge to it and no dX is made. */
function denseNoInputGradOp(x: tf.Tensor, activation: Activation): (...inputs: tf.Tensor[]) => tf.Tensor2D {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernel, bias] = args as Tensors;
    const save = args[2] as tf.GradSaveFunc;
    const y = forward(x, kernel!, bias!, activation);
    save([x, y]); // saved tensors outlive the forward tidy; the closed-over x may not
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: Tensors) =>
        paramGrads(saved[0]!, activationGrad(dy, saved[1]!, activation)),
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor2D;
}

/**
 * y = act(x·W + b), x [batch, in] (or [batch, …], flattened), W [in, out], b [out]. With `inputGrad` false no dX is computed
 * (first layer: the observations need no gradient), saving the largest matMul of the backward pass.
 */
export function dense(
  x: tf.Tensor,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  activation: Activation = 'linear',
  inputGrad = true,
): tf.Tensor2D {
  checkDense(x, kernel, bias);
  return inputGrad ? denseOp(activation)(x, kernel, bias) : denseNoInputGradOp(x, activation)(kernel, bias);
}

/**
 * Several linear heads on one input as a single matMul: z = x·[W₁|W₂|…] + [b₁|b₂|…], out [batch, Σ outᵢ].
 * The gradient splits dW = Xᵀ·dZ and db = 1ᵀ·dZ back into the heads; dX = dZ·[W₁|W₂|…]ᵀ.
 */
export function denseHeads(
  x: tf.Tensor2D,
  heads: readonly (readonly [tf.Tensor2D, tf.Tensor1D])[],
): tf.Tensor2D {
  for (const [kernel, bias] of heads) checkDense(x, kernel, bias);
  const sizes = heads.map(([kernel]) => kernel.shape[1]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, 1 + 2 * heads.length) as Tensors;
    const save = args[inputs.length] as tf.GradSaveFunc;
    const [input, ...params] = inputs;
    const kernel = tf.concat(params.filter((_, i) => i % 2 === 0) as tf.Tensor2D[], 1);
    const bias = tf.concat(params.filter((_, i) => i % 2 === 1) as tf.Tensor1D[], 0);
    const z = fusedMatMulKernel(input as tf.Tensor2D, kernel, bias, 'linear');
    save([input!, kernel]);
    return {
      value: z,
      gradFunc: (dz: tf.Tensor, saved: Tensors) => {
        const [sx, sk] = saved as [tf.Tensor2D, tf.Tensor2D];
        const [dW, db] = paramGrads(sx, dz) as [tf.Tensor2D, tf.Tensor1D];
        const dWs = tf.split(dW, sizes, 1);
        const dbs = tf.split(db, sizes, 0);
        return [matMulT(dz as tf.Tensor2D, sk, false, true), ...dWs.flatMap((w, i) => [w, dbs[i]!])];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor2D;
  return op(x, ...heads.flatMap(([kernel, bias]) => [kernel, bias]));
}
