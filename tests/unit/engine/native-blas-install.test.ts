import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, setNativeBlas } from '../../../src-main/engine/backend';
import { blasUnavailableReason } from '../../../src-main/engine/native-blas';
import { fullKernelSet } from '../../../src-main/engine/nn/kernel-caps';

/**
 * Installing and removing the native kernels (src-main/engine/native-blas.ts): they depend on
 * tfjs-wasm internals, so the tfjs version is pinned, a self-test guards the label, and uninstalling
 * puts back exactly the kernels that were there.
 */

const nativeInUse = (await initBackend('wasm')).blas !== null;

describe('the tfjs packages the native kernels depend on', () => {
  it('are pinned to one exact version in package.json and the lock file, and that version is installed', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, Record<string, string>>;
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, Record<string, Record<string, string>>>;
    };
    const specs = { ...pkg.dependencies, ...pkg.optionalDependencies };
    const tfjs = Object.entries(specs).filter(([name]) => name.startsWith('@tensorflow/'));
    expect(tfjs.length).toBeGreaterThanOrEqual(3);
    const versions = new Set(tfjs.map(([, spec]) => spec));
    expect([...versions]).toHaveLength(1);
    const [version] = versions;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const root = lock.packages['']!;
    for (const [name, spec] of tfjs) {
      expect(root.dependencies?.[name] ?? root.optionalDependencies?.[name], name).toBe(spec);
    }
    const require = createRequire(join(process.cwd(), 'index.js'));
    for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm']) {
      expect((require(`${name}/package.json`) as { version: string }).version, name).toBe(version);
    }
  });
});

describe.runIf(nativeInUse)('installing and removing the native kernels', () => {
  afterAll(() => {
    delete process.env.DELTASCOPE_BLAS_ADDON;
    setNativeBlas(false);
    setNativeBlas(true);
  });

  it('puts back a Conv2DBackpropFilter kernel that was registered before, instead of deleting it', () => {
    setNativeBlas(false);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    const own: tf.KernelFunc = () => {
      throw new Error('the pre-existing kernel');
    };
    tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: own });
    try {
      expect(setNativeBlas(true).blas).not.toBeNull();
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')!.kernelFunc).not.toBe(own);
      setNativeBlas(false);
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')!.kernelFunc).toBe(own);
    } finally {
      tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
    }
    // and with nothing there before, uninstalling leaves nothing
    setNativeBlas(true);
    setNativeBlas(false);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
    setNativeBlas(true);
  });

  it('an addon that computes a wrong product fails the self-test: plain wasm, and the reason recorded', () => {
    const realAddon = join(process.cwd(), 'out', 'native', 'deltascope_blas.node');
    const dir = mkdtempSync(join(tmpdir(), 'deltascope-blas-selftest-'));
    const fake = join(dir, 'wrong-gemm.cjs');
    // the real addon, except that gemm adds 1 to the first element of C
    writeFileSync(
      fake,
      `const real = require(${JSON.stringify(realAddon)});
module.exports = { ...Object.fromEntries(Object.getOwnPropertyNames(real).map((k) => [k, real[k]])),
  gemm: (heap, ...args) => { real.gemm(heap, ...args); heap[args[10]] += 1; } };`,
    );
    const plainMatMul = (): tf.KernelFunc => tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc;
    try {
      setNativeBlas(false);
      const plain = plainMatMul();
      process.env.DELTASCOPE_BLAS_ADDON = fake;
      const info = setNativeBlas(true);
      expect(info.blas).toBeNull();
      expect(info.label).toBe('wasm');
      expect(blasUnavailableReason()).toMatch(
        /self-test \(matMul\(A, Bᵀ\): element 0 is .* where the JS reference gives/,
      );
      expect(plainMatMul()).toBe(plain);
      expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
      expect(fullKernelSet()).toBe(false);
    } finally {
      delete process.env.DELTASCOPE_BLAS_ADDON;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(setNativeBlas(true).blas).toMatch(/OpenBLAS|\+/);
  });
});
