import * as tf from '@tensorflow/tfjs-core';

/** Activations our layers fuse into their forward pass and differentiate from their output. */
export type Activation = 'linear' | 'relu' | 'tanh';

/**
 * tanh(z) = 2·σ(2z) − 1. wasm's Tanh kernel is a scalar loop about 8× slower than its vectorised
 * Sigmoid, and the identity is exact in real arithmetic (float error ~1e-7).
 */
export function fastTanh(z: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);
}

/** y = act(z) for the activations that tfjs cannot fuse into matMul/conv2d (only tanh). */
export function applyUnfused(z: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === 'tanh' ? fastTanh(z) : z;
}

/** The activation to hand to tf.fused.* (tanh is applied afterwards by applyUnfused). */
export function fusedActivation(activation: Activation): 'linear' | 'relu' {
  return activation === 'relu' ? 'relu' : 'linear';
}

/** dL/dz from dL/dy and the saved output y: relu 1[y>0], tanh 1 − y², linear 1. */
export function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: Activation): tf.Tensor {
  if (activation === 'relu') return tf.mul(dy, tf.step(y));
  if (activation === 'tanh') return tf.mul(dy, tf.sub(1, tf.square(y)));
  return dy;
}

/**
 * act(a·b + bias) as one _FusedMatMul kernel call. tf.fused.matMul splits a relu into matMul + add +
 * relu while a gradient is being recorded (it cannot differentiate the fused kernel); inside our
 * customGrad ops the gradient is ours, so the fused kernel is always right and saves two passes.
 */
export function fusedMatMulKernel(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  bias: tf.Tensor,
  activation: 'linear' | 'relu',
): tf.Tensor2D {
  const attrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 };
  // the kernel takes rank-3 operands (tf.fused.matMul reshapes them the same way)
  const a3 = tf.reshape(a, [1, ...a.shape]);
  const b3 = tf.reshape(b, [1, ...b.shape]);
  const out = tf.engine().runKernel(tf._FusedMatMul, { a: a3, b: b3, bias }, attrs) as tf.Tensor3D;
  return tf.reshape(out, [a.shape[0], b.shape[1]]);
}

/** act(conv2d(x, filter, stride 1, same) + bias) as one FusedConv2D kernel call (see fusedMatMulKernel). */
export function fusedConvKernel(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  activation: 'linear' | 'relu',
): tf.Tensor4D {
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: 0 };
  return tf
    .engine()
    .runKernel(tf.FusedConv2D, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
