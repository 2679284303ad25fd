import * as tf from '@tensorflow/tfjs-core';

/**
 * What the active backend's kernels do fast, so the layers' gradients can pick the cheapest form.
 * Plain tfjs-wasm runs matMul with a transpose flag as a scalar loop and has no
 * Conv2DBackpropFilter; with the native BLAS kernels (engine/native-blas.ts), tfjs-node or cpu,
 * neither limit holds.
 */

let wasmMatMulNative = false;

/** Set by the engine when it installs (true) or removes (false) the native BLAS kernels of wasm. */
export function setWasmMatMulNative(native: boolean): void {
  wasmMatMulNative = native;
}

/** Whether tf.matMul(a, b, transposeA, transposeB) is as fast as a plain product on the active backend. */
export function transposedMatMulIsFast(): boolean {
  return tf.getBackend() !== 'wasm' || wasmMatMulNative;
}

/**
 * Whether conv2d's own backprop kernels (Conv2DBackpropInput/Filter) are the fast way to the conv
 * gradients: on native BLAS, tfjs-node and cpu; plain wasm has no filter kernel and its input
 * kernel is no faster than the flipped forward conv2d.
 */
export function convBackpropKernelsAreFast(): boolean {
  return tf.getBackend() !== 'wasm' || wasmMatMulNative;
}

/** Whether the active backend has a Conv2DBackpropFilter kernel (dW = im2col(x)ᵀ·dY in one call). */
export function hasConvFilterGradKernel(): boolean {
  return tf.getKernel(tf.Conv2DBackpropFilter, tf.getBackend()) !== undefined;
}

/**
 * Native versions of MaskedAdam's two host loops (native/blas: the same double-precision arithmetic
 * in the same order, so parameters and moments are bit-identical to the JS loops; tested).
 */
export interface AdamKernels {
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    offset: number,
    mask: Uint8Array | null,
    beta1: number,
    beta2: number,
    clip: number,
    stepSize: number,
    sqrtBias2: number,
    epsilon: number,
  ): void;
  sumSquares(start: number, g: Float32Array, mask: Uint8Array | null, offset: number): number;
}

let adamKernels: AdamKernels | null = null;

/** Set by the engine when the native addon loads (null puts the JS loops back). */
export function setAdamKernels(kernels: AdamKernels | null): void {
  adamKernels = kernels;
}

export function nativeAdamKernels(): AdamKernels | null {
  return adamKernels;
}
