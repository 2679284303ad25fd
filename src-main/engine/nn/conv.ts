import * as tf from '@tensorflow/tfjs-core';
import {
  activationGrad,
  applyUnfused,
  fusedActivation,
  fusedConvKernel,
  type Activation,
} from './activation';
import { columnSum } from './dense';
import { fullKernelSet } from './kernel-caps';
import { checkShape } from './shape-check';

/**
 * 2-D convolution (NHWC, stride 1, odd square kernel, 'same' zero padding p = (k−1)/2) with a
 * gradient built from forward conv2d calls: plain wasm has no Conv2DBackpropFilter kernel (where
 * the backend has one — native BLAS, tfjs-node — dW comes from it in one call).
 *   dW = conv2d(xᵀ, dZᵀ, pad p): x as [Cin, H, W, N] (batch↔channels), dZ as the filter [H, W, N, Cout],
 *        giving [Cin, k, k, Cout] → [k, k, Cin, Cout];
 *   dX = conv2d(dZ, flip(W)ᵀ, pad p): the kernel rotated 180° with in/out channels swapped.
 */

type Tensors = tf.Tensor[];

function checkConv(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor): void {
  checkShape(x.rank === 4, 'conv2d input x', x.shape, '[batch, height, width, channels]');
  const [kh, kw, cin, cout] = kernel.shape;
  checkShape(
    kernel.rank === 4 && kh === kw && kh! % 2 === 1 && cin === x.shape[3],
    'conv2d kernel',
    kernel.shape,
    `[k, k, ${x.shape[3]}, out] with k odd`,
  );
  checkShape(bias.rank === 1 && bias.shape[0] === cout, 'conv2d bias', bias.shape, `[${cout}]`);
}

/** y = act(conv2d(x, W, same) + b). */
function forward(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor, activation: Activation): tf.Tensor4D {
  const z = fusedConvKernel(x, kernel, bias, fusedActivation(activation));
  return applyUnfused(z, activation) as tf.Tensor4D;
}

/**
 * Explicit p-padding of H and W. A numeric `pad` would be wrong here: tfjs sizes both output dims
 * from the filter height, and the dW convolution's "filter" (dZ) is H×W, not square.
 */
function samePadding(p: number): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
}

/** dW (see the file comment) and db = Σ_{n,h,w} dZ. */
function paramGrads(x: tf.Tensor4D, dz: tf.Tensor4D, k: number): Tensors {
  const cout = dz.shape[3];
  return [filterGradient(x, dz, k), columnSum(tf.reshape(dz, [-1, cout]))];
}

function filterGradient(x: tf.Tensor4D, dz: tf.Tensor4D, k: number): tf.Tensor4D {
  const pad = (k - 1) / 2;
  if (fullKernelSet()) {
    const filterShape: [number, number, number, number] = [k, k, x.shape[3], dz.shape[3]];
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape };
    return tf
      .engine()
      .runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  const xT = tf.transpose(x, [3, 1, 2, 0]);
  const dzAsFilter = tf.transpose(dz, [1, 2, 0, 3]);
  return tf.transpose(tf.conv2d(xT, dzAsFilter, 1, samePadding(pad)), [1, 2, 0, 3]);
}

/** dX = conv2d(dZ, W rotated 180° with Cin↔Cout, pad p), or the Conv2DBackpropInput kernel where it is fast. */
function inputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const k = kernel.shape[0];
  if (fullKernelSet()) {
    const inputShape = [...dz.shape.slice(0, 3), kernel.shape[2]];
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape };
    return tf
      .engine()
      .runKernel(
        tf.Conv2DBackpropInput,
        { dy: dz, filter: kernel },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor4D;
  }
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(dz, flipped, 1, samePadding((k - 1) / 2));
}

const withInputOps = new Map<Activation, (...inputs: tf.Tensor[]) => tf.Tensor4D>();

function convOp(activation: Activation): (...inputs: tf.Tensor[]) => tf.Tensor4D {
  const found = withInputOps.get(activation);
  if (found !== undefined) return found;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const y = forward(x, kernel, bias, activation);
    save([x, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: Tensors) => {
        const [sx, sk, sy] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const dz = activationGrad(dy, sy, activation) as tf.Tensor4D;
        return [inputGradient(dz, sk), ...paramGrads(sx, dz, sk.shape[0])];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor4D;
  withInputOps.set(activation, op);
  return op;
}

function convNoInputGradOp(x: tf.Tensor4D, activation: Activation): (...inputs: tf.Tensor[]) => tf.Tensor4D {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernel, bias] = args as [tf.Tensor4D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    const y = forward(x, kernel, bias, activation);
    save([x, y]); // saved tensors outlive the forward tidy; the closed-over x may not
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: Tensors) => {
        const [sx, sy] = saved as [tf.Tensor4D, tf.Tensor4D];
        return paramGrads(sx, activationGrad(dy, sy, activation) as tf.Tensor4D, kernel.shape[0]);
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor4D;
}

/**
 * y = act(conv2d(x, W, stride 1, same) + b), x [batch, H, W, Cin], W [k, k, Cin, Cout], b [Cout].
 * With `inputGrad` false no dX is computed (the first layer's input is the observation).
 */
export function conv2d(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
  activation: Activation = 'linear',
  inputGrad = true,
): tf.Tensor4D {
  checkConv(x, kernel, bias);
  return inputGrad ? convOp(activation)(x, kernel, bias) : convNoInputGradOp(x, activation)(kernel, bias);
}
