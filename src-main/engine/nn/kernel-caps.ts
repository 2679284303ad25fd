import * as tf from '@tensorflow/tfjs-core';

/**
 * What the active backend's kernels do fast, so the layers' gradients can pick the cheapest form.
 * Plain tfjs-wasm runs matMul with a transpose flag as a scalar loop and has no
 * Conv2DBackpropFilter; with the native BLAS kernels (engine/native-blas.ts), tfjs-node or cpu,
 * neither limit holds.
 */

let wasmKernelsNative = false;

/** Set by the engine when it installs (true) or removes (false) the native kernels of wasm. */
export function setWasmKernelsNative(native: boolean): void {
  wasmKernelsNative = native;
}

/**
 * Whether the active backend runs matMul's transpose flags and conv2d's backprop kernels
 * (Conv2DBackpropInput, Conv2DBackpropFilter) at full speed: every backend but plain tfjs-wasm,
 * whose flags fall to a scalar loop and which has no filter-gradient kernel.
 */
export function fullKernelSet(): boolean {
  return tf.getBackend() !== 'wasm' || wasmKernelsNative;
}

/**
 * Native versions of MaskedAdam's two host loops (native/blas: the same float32 operations in the
 * same order, so parameters and moments are bit-identical to the JS loops; tested).
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
