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
