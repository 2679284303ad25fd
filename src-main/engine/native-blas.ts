import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { addonFunctions, probeAddon } from '../native/addon';
import { nativeKernelSelfTestFailure } from './native-blas-self-test';
import type { AdamKernels } from './nn/kernel-caps';

/**
 * Native kernels for the wasm backend. tfjs-wasm's matMul runs 128-bit SIMD kernels (≈40 GFLOP/s on
 * the benchmark's shapes) where the machine's OpenBLAS reaches ≈120: the `deltascope_blas` addon
 * (native/blas, built by `npm install` when a C compiler is present) opens OpenBLAS (or Apple
 * Accelerate), and oneDNN for the convolutions where installed, at run time and computes on the wasm
 * heap in place. This module registers it as the wasm backend's BatchMatMul, _FusedMatMul, Conv2D,
 * FusedConv2D and Conv2DBackpropInput kernels (every case the addon does not cover — other dtypes,
 * general broadcasting, prelu/elu activations, NCHW — goes to the original kernel), adds the
 * Conv2DBackpropFilter kernel that wasm lacks, and makes Identity share its input's buffer. It reads
 * tfjs-wasm internals (HEAPF32, dataIdMap…memoryOffset, makeOutput), so package.json pins the tfjs
 * packages to one exact version, and a self-test must pass before the kernels stay installed.
 *
 * `DELTASCOPE_BLAS=off` keeps the plain wasm kernels; `DELTASCOPE_BLAS=<path>` opens that library;
 * `DELTASCOPE_BLAS_THREADS` sets BLAS's threads (default 1: each training job is its own process).
 */

/** What the addon reports after loading a BLAS library. */
export interface BlasInfo {
  /** The library file that was opened, e.g. "libopenblas.so.0". */
  library: string;
  /** OpenBLAS's build string, when the library is OpenBLAS. */
  config?: string;
  /** OpenBLAS's kernel family, e.g. "Haswell" or "SkylakeX". */
  core?: string;
  threads?: number;
  /** The library computing the convolutions when it is not BLAS, e.g. "oneDNN 2.6.3". */
  convolutions?: string;
}

/** The addon's functions (native/blas/src/deltascope_blas.c documents each argument). */
export interface BlasAddon {
  load(library: string | null, threads: number): BlasInfo;
  gemm(
    heap: Float32Array,
    transA: number,
    transB: number,
    batch: number,
    m: number,
    n: number,
    k: number,
    aOff: number,
    aStride: number,
    bOff: number,
    bStride: number,
    cOff: number,
    biasOff: number,
    biasLen: number,
    act: number,
  ): void;
  conv2d(heap: Float32Array, ...sizes: number[]): void;
  conv2dFilterGrad(heap: Float32Array, ...sizes: number[]): void;
  conv2dInputGrad(heap: Float32Array, ...sizes: number[]): void;
  /** Whether oneDNN computes the convolutions from now on (false when it is unavailable). */
  setConvLibrary(enabled: boolean): boolean;
  adam: AdamKernels['adam'];
  sumSquares: AdamKernels['sumSquares'];
}

const ACT_CODES: Readonly<Record<string, number>> = { linear: 0, relu: 1 };
/** The wasm backend's internals these kernels use (tfjs-backend-wasm's BackendWasm). */
interface WasmHeapBackend {
  wasm: { HEAPF32: Float32Array };
  incRef(dataId: object): void;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

function isWasmHeapBackend(value: unknown): value is WasmHeapBackend {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<WasmHeapBackend>;
  return (
    typeof candidate.makeOutput === 'function' &&
    typeof candidate.incRef === 'function' &&
    typeof candidate.dataIdMap === 'object' &&
    candidate.wasm?.HEAPF32 instanceof Float32Array
  );
}

/** The addon and its BLAS while the native kernels are in use; else why not. */
let loaded: { addon: BlasAddon; info: BlasInfo } | null = null;
let unavailableReason = 'not loaded yet';

/** The addon in use (its Adam loops serve MaskedAdam), or null. */
export function blasAddon(): BlasAddon | null {
  return loaded?.addon ?? null;
}

function unavailable(reason: string): null {
  loaded = null;
  unavailableReason = reason;
  return null;
}

const ADDON_FUNCTIONS = [
  'load',
  'gemm',
  'conv2d',
  'conv2dFilterGrad',
  'conv2dInputGrad',
  'setConvLibrary',
  'adam',
  'sumSquares',
] as const satisfies readonly (keyof BlasAddon)[];

/** Loads the addon and a BLAS library; null (with `blasUnavailableReason()`) when either is missing. */
export function loadBlas(): { addon: BlasAddon; info: BlasInfo } | null {
  const setting = process.env.DELTASCOPE_BLAS ?? '';
  if (setting === 'off' || setting === '0') return unavailable('DELTASCOPE_BLAS=off');
  const probe = probeAddon();
  if (!probe.ok) return unavailable(probe.reason);
  const threads = Number(process.env.DELTASCOPE_BLAS_THREADS ?? '1');
  try {
    const addon = addonFunctions<BlasAddon>(probe, ADDON_FUNCTIONS);
    const info = addon.load(
      setting === '' || setting === 'on' ? null : setting,
      Number.isInteger(threads) ? threads : 1,
    );
    loaded = { addon, info };
    return loaded;
  } catch (error) {
    return unavailable(error instanceof Error ? error.message : String(error));
  }
}

/** Why the native kernels are not in use, or null when they are. */
export function blasUnavailableReason(): string | null {
  return loaded === null ? unavailableReason : null;
}

/** The BLAS in use by the wasm kernels, or null. */
export function activeBlas(): BlasInfo | null {
  return loaded?.info ?? null;
}

/** A short label such as "OpenBLAS Haswell+oneDNN 2.6.3" for run metadata and the UI. */
export function blasLabel(info: BlasInfo): string {
  const blas =
    info.config?.startsWith('OpenBLAS') === true
      ? `OpenBLAS${info.core !== undefined ? ` ${info.core}` : ''}`
      : path.basename(info.library);
  return info.convolutions === undefined ? blas : `${blas}+${info.convolutions}`;
}

// ----------------------------------------------------------------------------------- kernels

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Original = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** Element offset of a float32 tensor on the wasm heap. */
function offsetOf(backend: WasmHeapBackend, tensor: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw new Error('native BLAS kernel: a tensor is not on the wasm heap');
  return data.memoryOffset / 4;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bias offset and length when it broadcasts along the last axis (size 1 or n), else null. */
function biasArgs(
  backend: WasmHeapBackend,
  bias: tf.TensorInfo | undefined,
  n: number,
): [number, number] | null {
  if (bias === undefined) return [-1, 0];
  if (bias.dtype !== 'float32') return null;
  const count = size(bias.shape);
  const lastAxisOnly = bias.shape.slice(0, -1).every((d) => d === 1);
  if (count === 1 || (count === n && lastAxisOnly && bias.shape[bias.shape.length - 1] === n)) {
    return [offsetOf(backend, bias), count];
  }
  return null;
}

interface MatMulPlan {
  outShape: number[];
  batch: number;
  m: number;
  n: number;
  k: number;
  aStride: number;
  bStride: number;
}

/** Shapes of op(A)·op(B) with batch dims equal or one side unbatched; null for anything else. */
function planMatMul(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = size(outerA);
  const batchB = size(outerB);
  if (k !== kb || m === 0 || n === 0 || batchA === 0 || batchB === 0) return null;
  let outer: number[];
  if (batchB === 1 && outerB.length <= outerA.length) outer = outerA;
  else if (batchA === 1 && outerA.length <= outerB.length) outer = outerB;
  else if (outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i])) outer = outerA;
  else return null;
  return {
    outShape: [...outer, m, n],
    batch: Math.max(batchA, batchB),
    m,
    n,
    k,
    aStride: batchA === 1 ? 0 : m * k,
    bStride: batchB === 1 ? 0 : k * n,
  };
}

function matMulKernel(addon: BlasAddon, original: Original, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const transposeA = attrs?.transposeA === true;
    const transposeB = attrs?.transposeB === true;
    const activation = fused ? String(attrs?.activation ?? 'linear') : 'linear';
    const act = ACT_CODES[activation];
    const plan = a !== undefined && b !== undefined ? planMatMul(a, b, transposeA, transposeB) : null;
    if (
      !isWasmHeapBackend(backend) ||
      plan === null ||
      act === undefined ||
      preluActivationWeights !== undefined
    ) {
      return original(args);
    }
    const biasAt = biasArgs(backend, bias, plan.n);
    if (biasAt === null) return original(args);
    const out = backend.makeOutput(plan.outShape, 'float32');
    addon.gemm(
      backend.wasm.HEAPF32, // read after makeOutput: an allocation may grow (replace) the heap
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      plan.batch,
      plan.m,
      plan.n,
      plan.k,
      offsetOf(backend, a!),
      plan.aStride,
      offsetOf(backend, b!),
      plan.bStride,
      offsetOf(backend, out),
      biasAt[0],
      biasAt[1],
      act,
    );
    return out;
  };
}

/**
 * The addon's convolution arguments after the heap, up to the bias: xOff, batch, inH, inW, inC, fOff,
 * fH, fW, outC, outH, outW, strides, dilations, top and left padding, outOff (see deltascope_blas.c).
 */
function convSizes(info: tf.backend_util.Conv2DInfo, xOff: number, fOff: number, outOff: number): number[] {
  return [
    xOff,
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    fOff,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
    outOff,
  ];
}

type ConvAttrs = {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
  activation?: string;
};

function convKernel(addon: BlasAddon, original: Original, fused: boolean): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as ConvAttrs;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const act = ACT_CODES[fused ? (attrs.activation ?? 'linear') : 'linear'];
    if (
      !isWasmHeapBackend(backend) ||
      x === undefined ||
      filter === undefined ||
      x.dtype !== 'float32' ||
      filter.dtype !== 'float32' ||
      x.shape.length !== 4 ||
      filter.shape.length !== 4 ||
      (attrs.dataFormat ?? 'NHWC') !== 'NHWC' ||
      act === undefined ||
      preluActivationWeights !== undefined ||
      size(x.shape) === 0
    ) {
      return original(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const biasAt = biasArgs(backend, bias, info.outChannels);
    if (
      biasAt === null ||
      info.outHeight < 1 ||
      info.outWidth < 1 ||
      info.padInfo.top < 0 ||
      info.padInfo.left < 0
    ) {
      return original(args); // (the addon refuses negative padding)
    }
    const out = backend.makeOutput(
      [info.batchSize, info.outHeight, info.outWidth, info.outChannels],
      'float32',
    );
    addon.conv2d(
      backend.wasm.HEAPF32,
      ...convSizes(info, offsetOf(backend, x), offsetOf(backend, filter), offsetOf(backend, out)),
      biasAt[0],
      biasAt[1],
      act,
    );
    return out;
  };
}

/**
 * The geometry of a backprop kernel's convolution (x of `inShape` with a filter of `filterShape`, no
 * dilation), or null when dy's shape is not that convolution's output.
 */
function backpropGeometry(
  inShape: readonly number[],
  filterShape: readonly number[],
  attrs: ConvAttrs,
  dy: tf.TensorInfo,
): tf.backend_util.Conv2DInfo | null {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  return dy.shape.every((d, i) => d === expected[i]) ? info : null;
}

/** dW = im2col(x)ᵀ·dY for NHWC float32 tensors; the wasm backend has no kernel of its own to fall back on. */
function convFilterGradKernel(addon: BlasAddon): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
    const { x, dy } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!isWasmHeapBackend(backend) || x === undefined || dy === undefined) {
      throw new Error('Conv2DBackpropFilter (native BLAS): needs x and dy on the wasm backend');
    }
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4 || dy.shape.length !== 4) {
      throw new Error(
        `Conv2DBackpropFilter (native BLAS): needs rank-4 float32 x and dy, got ${x.shape} and ${dy.shape}`,
      );
    }
    if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') {
      throw new Error('Conv2DBackpropFilter (native BLAS): only NHWC is supported');
    }
    const info = backpropGeometry(x.shape, attrs.filterShape, attrs, dy);
    if (info === null) {
      throw new Error(
        `Conv2DBackpropFilter (native BLAS): dy has shape ${dy.shape}, which the convolution does not give`,
      );
    }
    const dW = backend.makeOutput([...attrs.filterShape], 'float32');
    addon.conv2dFilterGrad(
      backend.wasm.HEAPF32,
      ...convSizes(info, offsetOf(backend, x), offsetOf(backend, dW), offsetOf(backend, dy)),
      -1,
      0,
      0,
    );
    return dW;
  };
}

/** dX = col2im(dY·Wᵀ) for NHWC float32 tensors; other cases go to wasm's own Conv2DBackpropInput. */
function convInputGradKernel(addon: BlasAddon, original: Original): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const { dy, filter } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (
      !isWasmHeapBackend(backend) ||
      dy === undefined ||
      filter === undefined ||
      dy.dtype !== 'float32' ||
      filter.dtype !== 'float32' ||
      dy.shape.length !== 4 ||
      filter.shape.length !== 4 ||
      (attrs.dataFormat ?? 'NHWC') !== 'NHWC' ||
      size(attrs.inputShape) === 0
    ) {
      return original(args);
    }
    const info = backpropGeometry(attrs.inputShape, filter.shape, attrs, dy);
    if (info === null) return original(args);
    const dX = backend.makeOutput([...attrs.inputShape], 'float32');
    addon.conv2dInputGrad(
      backend.wasm.HEAPF32,
      ...convSizes(info, offsetOf(backend, dX), offsetOf(backend, filter), offsetOf(backend, dy)),
      -1,
      0,
      0,
    );
    return dX;
  };
}

/**
 * Identity without a copy: the output shares the input's buffer and bumps its reference count, as
 * wasm's own Reshape (and the cpu backend's Identity) do; tfjs tensors are immutable, so sharing is
 * safe. tfjs clones every tensor a customGrad op saves, and wasm's Identity copied each one
 * (0.7 ms per CNN minibatch).
 */
function sharedIdentityKernel(original: Original): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    if (!isWasmHeapBackend(args.backend) || x === undefined || x.dtype === 'string') return original(args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/** The wasm kernels replaced, each built from the addon and the original it falls back to. */
const REPLACEMENTS: Readonly<Record<string, (addon: BlasAddon, original: Original) => tf.KernelFunc>> = {
  [tf.BatchMatMul]: (addon, original) => matMulKernel(addon, original, false),
  [tf._FusedMatMul]: (addon, original) => matMulKernel(addon, original, true),
  [tf.Conv2D]: (addon, original) => convKernel(addon, original, false),
  [tf.FusedConv2D]: (addon, original) => convKernel(addon, original, true),
  [tf.Conv2DBackpropInput]: convInputGradKernel,
  [tf.Identity]: (_addon, original) => sharedIdentityKernel(original),
};

/**
 * Every wasm kernel this module registered, with what was registered under that name before (null:
 * nothing — Conv2DBackpropFilter in tfjs-wasm 4.22), so that uninstalling restores exactly that.
 */
const originals = new Map<string, tf.KernelConfig | null>();

function register(name: string, kernelFunc: tf.KernelFunc): void {
  const previous = tf.getKernel(name, 'wasm') ?? null;
  if (!originals.has(name)) originals.set(name, previous);
  if (previous !== null) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...(previous ?? {}), kernelName: name, backendName: 'wasm', kernelFunc });
}

/**
 * Registers the native kernels for the wasm backend (idempotent) and checks them against JS
 * references (native-blas-self-test.ts). Returns the BLAS in use, or null — the wasm kernels then
 * stay (or are put back) as they were, and `blasUnavailableReason()` says why.
 */
export function installBlasKernels(): BlasInfo | null {
  if (originals.size > 0) return activeBlas();
  const native = loadBlas();
  if (native === null) return null;
  const names = Object.keys(REPLACEMENTS);
  const missing = names.find((name) => tf.getKernel(name, 'wasm') === undefined);
  if (missing !== undefined) return unavailable(`the wasm backend has no ${missing} kernel to accelerate`);
  for (const name of names) {
    const original = tf.getKernel(name, 'wasm')!.kernelFunc as Original;
    register(name, REPLACEMENTS[name]!(native.addon, original));
  }
  register(tf.Conv2DBackpropFilter, convFilterGradKernel(native.addon));
  const failure = tf.getBackend() === 'wasm' ? nativeKernelSelfTestFailure() : null;
  if (failure !== null) {
    restoreKernels();
    return unavailable(`the native kernels failed their self-test (${failure}); using tfjs-wasm's own`);
  }
  return native.info;
}

function restoreKernels(): void {
  for (const [name, previous] of originals) {
    tf.unregisterKernel(name, 'wasm');
    if (previous !== null) tf.registerKernel(previous);
  }
  originals.clear();
}

/** Puts the wasm kernels back as they were before installBlasKernels (tests compare both paths). */
export function uninstallBlasKernels(): void {
  if (originals.size === 0) return;
  restoreKernels();
  unavailable('the plain wasm kernels were put back');
}
