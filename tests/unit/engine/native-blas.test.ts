import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend, setNativeBlas } from '../../../src-main/engine/backend';
import { blasAddon, blasUnavailableReason, loadBlas } from '../../../src-main/engine/native-blas';
import { fullKernelSet, nativeAdamKernels, setAdamKernels } from '../../../src-main/engine/nn/kernel-caps';
import { MaskedAdam } from '../../../src-main/engine/nn/masked-adam';
import { createRng } from '../../../src-main/shared/random';

/**
 * The native BLAS kernels of the wasm backend (src-main/engine/native-blas.ts) against the cpu
 * backend's kernels on the same inputs: every case the training uses, the cases that fall back to
 * tfjs-wasm's own kernels, and the addon's refusal of out-of-heap offsets. Where the addon is in use,
 * a spy on its functions proves each case ran natively; where it is not (no OpenBLAS: run
 * `scripts/test-without-openblas.sh`), the cases plain tfjs-wasm handles still run, and the fallback
 * has its own checks.
 */

/** Where Debian, Ubuntu and Fedora put OpenBLAS; on such a machine the native path must be in use. */
const SYSTEM_OPENBLAS = [
  '/usr/lib/x86_64-linux-gnu/libopenblas.so.0',
  '/usr/lib/aarch64-linux-gnu/libopenblas.so.0',
  '/usr/lib64/libopenblas.so.0',
];
const machineHasOpenBlas = SYSTEM_OPENBLAS.some((file) => existsSync(file));
/** scripts/test-without-openblas.sh sets it: OpenBLAS is hidden, the fallback must be in use. */
const expectNoBlas = process.env.DELTASCOPE_EXPECT_NO_BLAS === '1';
const required = !expectNoBlas && (machineHasOpenBlas || process.env.DELTASCOPE_REQUIRE_BLAS === '1');
/** Debian's oneDNN (libdnnl2) with its headers (libdnnl-dev, for the addon's build): convolutions must use it. */
const machineHasDnnl =
  required &&
  existsSync('/usr/include/oneapi/dnnl/dnnl.h') &&
  ['/usr/lib/x86_64-linux-gnu/libdnnl.so.2', '/usr/lib/aarch64-linux-gnu/libdnnl.so.2'].some((f) =>
    existsSync(f),
  );

function randomTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.float() * 2 - 1;
  return tf.tensor(data, shape);
}

type AddonKernel = 'gemm' | 'conv2d' | 'conv2dFilterGrad' | 'conv2dInputGrad';
const ADDON_KERNELS: readonly AddonKernel[] = ['gemm', 'conv2d', 'conv2dFilterGrad', 'conv2dInputGrad'];

interface Case {
  name: string;
  shapes: number[][];
  op: (...xs: tf.Tensor[]) => tf.Tensor;
  /** The addon function that computes it when the native kernels are in use; null: it falls back. */
  kernel: AddonKernel | null;
  /** False when plain tfjs-wasm cannot compute it (wrong, missing or refused): native only. */
  plainWasm?: false;
}

/** Whether the native kernels loaded and passed their self-test here. */
const nativeInUse = (await initBackend('wasm')).blas !== null;

const padding = (p: number): [[number, number], [number, number], [number, number], [number, number]] => [
  [0, 0],
  [p, p],
  [p, p],
  [0, 0],
];

const CASES: Case[] = [
  {
    name: 'matMul',
    kernel: 'gemm',
    shapes: [
      [37, 23],
      [23, 19],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  {
    name: 'matMul Aᵀ',
    kernel: 'gemm',
    shapes: [
      [23, 37],
      [23, 19],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true),
  },
  {
    name: 'matMul Bᵀ',
    kernel: 'gemm',
    shapes: [
      [37, 23],
      [19, 23],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true),
  },
  {
    name: 'matMul AᵀBᵀ',
    kernel: 'gemm',
    shapes: [
      [23, 37],
      [19, 23],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true),
  },
  {
    name: 'batched matMul',
    kernel: 'gemm',
    shapes: [
      [3, 5, 7],
      [3, 7, 4],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
  },
  {
    name: 'matMul, B broadcast over the batch',
    kernel: 'gemm',
    shapes: [
      [2, 3, 5, 7],
      [7, 4],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor4D, tf.reshape(b!, [1, 7, 4]) as tf.Tensor3D),
  },
  {
    name: 'matMul with an empty inner dimension',
    kernel: 'gemm',
    plainWasm: false, // tfjs-wasm returns uninitialised memory
    shapes: [
      [4, 0],
      [0, 3],
    ],
    op: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  {
    name: 'fused matMul + bias + relu',
    kernel: 'gemm',
    shapes: [[33, 17], [17, 9], [9]],
    op: (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' }),
  },
  {
    name: 'fused matMul, transposed, scalar bias',
    kernel: 'gemm',
    shapes: [[17, 33], [9, 17], [1]],
    op: (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: true, transposeB: true, bias }),
  },
  {
    name: 'fused matMul with a [1, n] bias',
    kernel: 'gemm',
    plainWasm: false, // tfjs-wasm: "_FusedMatMul only supports rank-1 bias"
    shapes: [
      [6, 4],
      [4, 6],
      [1, 6],
    ],
    op: (a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias }),
  },
  {
    name: 'fused matMul with elu (falls back to wasm)',
    kernel: null,
    shapes: [[6, 4], [4, 5], [5]],
    op: (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'elu' }),
  },
  {
    name: 'conv2d 3×3 same',
    kernel: 'conv2d',
    shapes: [
      [2, 7, 6, 3],
      [3, 3, 3, 5],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
  },
  {
    name: 'conv2d 3×3 valid, stride 2',
    kernel: 'conv2d',
    shapes: [
      [2, 9, 8, 3],
      [3, 3, 3, 4],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'valid'),
  },
  {
    name: 'conv2d 3×3, dilation 2, explicit padding',
    kernel: 'conv2d',
    shapes: [
      [1, 9, 9, 2],
      [3, 3, 2, 3],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, padding(2), 'NHWC', 2),
  },
  {
    name: 'conv2d 1×1',
    kernel: 'conv2d',
    shapes: [
      [2, 4, 5, 6],
      [1, 1, 6, 3],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid'),
  },
  {
    name: 'conv2d with a non-square filter larger than the input (the filter-gradient trick)',
    kernel: 'conv2d',
    shapes: [
      [4, 11, 11, 8],
      [11, 11, 8, 6],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, padding(1)),
  },
  {
    name: 'fused conv2d + bias + relu',
    kernel: 'conv2d',
    shapes: [[2, 6, 6, 4], [3, 3, 4, 8], [8]],
    op: (x, f, bias) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias,
        activation: 'relu',
      }),
  },
  {
    name: 'conv2d over more rows than one im2col block',
    kernel: 'conv2d',
    shapes: [
      [4, 30, 30, 8],
      [3, 3, 8, 5],
    ],
    op: (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'),
  },
  ...(
    [
      ['same', 1, [3, 7, 7, 4], [3, 3, 4, 6], [3, 7, 7, 6]],
      ['valid', 2, [2, 9, 9, 3], [3, 3, 3, 5], [2, 4, 4, 5]],
      ['valid', 1, [2, 5, 5, 6], [1, 1, 6, 3], [2, 5, 5, 3]],
      ['same', 1, [4, 30, 30, 8], [3, 3, 8, 5], [4, 30, 30, 5]],
    ] as const
  ).flatMap(([pad, strides, xShape, filterShape, dyShape]): Case[] => [
    {
      name: `Conv2DBackpropFilter, ${pad}, stride ${strides}, filter ${filterShape.join('×')}`,
      kernel: 'conv2dFilterGrad',
      plainWasm: false, // tfjs-wasm has no such kernel
      shapes: [[...xShape], [...dyShape]],
      op: (x, dy) =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: x!, dy: dy! }, {
          strides,
          pad,
          dataFormat: 'NHWC',
          filterShape: [...filterShape],
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    },
    {
      name: `Conv2DBackpropInput, ${pad}, stride ${strides}, filter ${filterShape.join('×')}`,
      kernel: 'conv2dInputGrad',
      shapes: [[...dyShape], [...filterShape]],
      op: (dy, filter) =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dy!, filter: filter! }, {
          strides,
          pad,
          dataFormat: 'NHWC',
          inputShape: [...xShape],
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
    },
  ]),
];

async function resultOn(backend: 'cpu' | 'wasm', c: Case): Promise<{ shape: number[]; data: Float32Array }> {
  await initBackend(backend);
  return tf.tidy(() => {
    const inputs = c.shapes.map((shape, i) => randomTensor(shape, 1000 + i));
    const out = c.op(...inputs);
    return { shape: out.shape, data: (out.dataSync() as Float32Array).slice() };
  });
}

describe('native BLAS kernels of the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await initBackend('wasm');
  });
  afterEach(() => {
    delete process.env.DELTASCOPE_BLAS;
  });

  it.runIf(required)('are in use on a machine with OpenBLAS, and the backend label says so', async () => {
    expect(nativeInUse).toBe(true);
    const info = await initBackend('wasm');
    expect(blasUnavailableReason()).toBeNull();
    expect(info.blas).toMatch(/OpenBLAS/);
    expect(info.label).toBe(`wasm+${info.blas}`);
  });

  // Convolutions run on oneDNN where it is available, else on im2col + BLAS: both paths are checked.
  const convLibraryOff = [true, false];
  for (const [c, viaIm2col] of CASES.flatMap((c) =>
    /conv|Conv/.test(c.name) ? convLibraryOff.map((off) => [c, off] as const) : [[c, false] as const],
  )) {
    const title = `${c.name}${viaIm2col ? ' (im2col, oneDNN off)' : ''} equals the cpu backend's result`;
    it.runIf(nativeInUse || (c.plainWasm !== false && !viaIm2col))(title, async () => {
      const expected = await resultOn('cpu', c);
      const addon = blasAddon();
      addon?.setConvLibrary(!viaIm2col);
      const spies = addon === null ? [] : ADDON_KERNELS.map((name) => vi.spyOn(addon, name));
      let ran: AddonKernel[] = [];
      const actual = await resultOn('wasm', c).finally(() => {
        addon?.setConvLibrary(true);
        ran = ADDON_KERNELS.filter((_, i) => (spies[i]?.mock.calls.length ?? 0) > 0);
        spies.forEach((spy) => spy.mockRestore());
      });
      // the native path ran (or, for a case it does not cover, did not)
      if (addon !== null) expect(ran).toEqual(c.kernel === null ? [] : [c.kernel]);
      expect(actual.shape).toEqual(expected.shape);
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) {
        worst = Math.max(
          worst,
          Math.abs(actual.data[i]! - expected.data[i]!) / (1 + Math.abs(expected.data[i]!)),
        );
      }
      // float32 sums in another order: a few ulps per term of the longest reduction (3,600 terms)
      expect(worst).toBeLessThan(1e-4);
    });
  }

  it.runIf(nativeInUse)('gives the same training-sized products as the plain wasm kernels', async () => {
    await initBackend('wasm');
    const product = (): Float32Array =>
      tf.tidy(() => {
        const a = randomTensor([256, 484], 7) as tf.Tensor2D;
        const b = randomTensor([484, 256], 8) as tf.Tensor2D;
        return (tf.matMul(a, b).dataSync() as Float32Array).slice();
      });
    const native = product();
    setNativeBlas(false);
    const plain = product();
    setNativeBlas(true);
    let worst = 0;
    for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(native[i]! - plain[i]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it.runIf(machineHasDnnl)(
    'computes the convolutions with oneDNN where it is installed, and says so',
    async () => {
      const info = await initBackend('wasm');
      expect(info.blas).toMatch(/^OpenBLAS .*\+oneDNN 2\.\d+\.\d+$/);
      expect(blasAddon()!.setConvLibrary(true)).toBe(true);
    },
  );

  it.runIf(nativeInUse)('refuses offsets outside the heap with a RangeError naming the matrix', () => {
    const loaded = loadBlas();
    expect(loaded).not.toBeNull();
    const heap = new Float32Array(100);
    heap.fill(7);
    // C would need 4×4 = 16 floats from offset 90: past the end.
    expect(() => loaded!.addon.gemm(heap, 0, 0, 1, 4, 4, 4, 0, 0, 16, 0, 90, -1, 0, 0)).toThrow(
      /C \[90, \+16\) lies outside the heap of 100 floats/,
    );
    expect(heap.every((v) => v === 7)).toBe(true);
    expect(() => loaded!.addon.gemm(heap, 0, 0, 1, 4, 4, 4, 0, 0, 16, 0, 32, 5, 3, 0)).toThrow(
      /bias \(offset 5, length 3; want offset -1 for none, length 1 or n = 4\)/,
    );
  });

  it.runIf(expectNoBlas)('are not in use where OpenBLAS is hidden (the fallback below is what runs)', () => {
    expect(nativeInUse).toBe(false);
    expect(blasUnavailableReason()).toMatch(/no BLAS library with cblas_sgemm could be opened/);
  });

  it.runIf(!nativeInUse)(
    'without a usable BLAS: plain tfjs-wasm, the reason recorded, and the layers told to avoid the missing kernels',
    async () => {
      const info = await initBackend('wasm');
      expect(info.blas).toBeNull();
      expect(info.label).toBe('wasm');
      expect(blasUnavailableReason()).toMatch(/BLAS|addon|self-test/);
      // conv layers then build dW from forward convolutions (tested in nn/gradients.test.ts)
      expect(fullKernelSet()).toBe(false);
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
      expect(nativeAdamKernels()).toBeNull();
      expect(blasAddon()).toBeNull();
    },
  );

  it('DELTASCOPE_BLAS=off keeps the plain wasm kernels and says why', async () => {
    await initBackend('wasm');
    setNativeBlas(false);
    process.env.DELTASCOPE_BLAS = 'off';
    const info = setNativeBlas(true);
    expect(info.blas).toBeNull();
    expect(info.label).toBe('wasm');
    expect(blasUnavailableReason()).toBe('DELTASCOPE_BLAS=off');
    delete process.env.DELTASCOPE_BLAS;
    const back = setNativeBlas(true);
    if (nativeInUse) expect(back.blas).toMatch(/OpenBLAS/);
  });

  it.runIf(nativeInUse)(
    'runs Adam bit-identically to the JS loops, with clipping and a per-element mask',
    async () => {
      await initBackend('wasm');
      expect(nativeAdamKernels()).not.toBeNull();
      const shapes = [[37, 29], [29], [5]];
      const run = (native: boolean): { params: Float32Array[]; m: Float32Array[]; v: Float32Array[] } => {
        setAdamKernels(native ? blasAddon() : null);
        const params = shapes.map((shape, i) => ({
          name: `layer${i}.kernel`,
          variable: tf.variable(randomTensor(shape, 50 + i), true, `adam-native-${native}-${i}`),
        }));
        const adam = new MaskedAdam(params, { learningRate: 0.003, maxGradNorm: 0.5 });
        const mask = new Float32Array(29).map((_, i) => (i % 4 === 1 ? 0 : 1));
        adam.setMask('layer1.kernel', mask);
        for (let step = 0; step < 5; step++) {
          const grads = shapes.map((shape, i) => tf.mul(randomTensor(shape, 100 + 10 * step + i), step + 1));
          adam.step(grads);
          grads.forEach((g) => g.dispose());
        }
        const state = adam.exportState();
        const out = {
          params: params.map((p) => (p.variable.dataSync() as Float32Array).slice()),
          m: state.moments.map((e) => e.m),
          v: state.moments.map((e) => e.v),
        };
        params.forEach((p) => p.variable.dispose());
        return out;
      };
      const js = run(false);
      const native = run(true);
      const bits = (xs: Float32Array[]): number[] =>
        xs.flatMap((x) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length)));
      expect(bits(native.params)).toEqual(bits(js.params));
      expect(bits(native.m)).toEqual(bits(js.m));
      expect(bits(native.v)).toEqual(bits(js.v));
      // and the training actually moved the unmasked parameters
      expect(bits(native.params)).not.toEqual(
        bits(shapes.map((shape, i) => randomTensor(shape, 50 + i).dataSync() as Float32Array)),
      );
    },
  );

  it('a broken addon file or a library without BLAS leaves the plain kernels and names the cause', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deltascope-blas-'));
    try {
      const broken = join(dir, 'deltascope_blas.node');
      writeFileSync(broken, 'not a shared object');
      process.env.DELTASCOPE_BLAS_ADDON = broken;
      expect(loadBlas()).toBeNull();
      expect(blasUnavailableReason()).toMatch(/deltascope_blas\.node|invalid ELF|not a valid|too short/i);
      delete process.env.DELTASCOPE_BLAS_ADDON;
      // a library that opens but has no cblas_sgemm (in a fresh process: the addon keeps what it opened)
      const addon = join(process.cwd(), 'out', 'native', 'deltascope_blas.node');
      if (existsSync(addon)) {
        const script = `try { require(${JSON.stringify(addon)}).load('libc.so.6', 1); console.log('loaded'); } catch (e) { console.log(e.message); }`;
        const out = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
        expect(out).toContain('no BLAS library with cblas_sgemm could be opened (tried libc.so.6)');
      }
    } finally {
      delete process.env.DELTASCOPE_BLAS_ADDON;
      delete process.env.DELTASCOPE_BLAS;
      rmSync(dir, { recursive: true, force: true });
      loadBlas();
    }
  });
});
