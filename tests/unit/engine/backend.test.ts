import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { activeBackend, initBackend, resolveWasmDir } from '../../../src-main/engine/backend';

describe('backend selection', () => {
  afterEach(() => {
    delete process.env.DELTASCOPE_BACKEND;
    delete process.env.DELTASCOPE_WASM_DIR;
  });

  // First in this file: the race is on the very first activation.
  it('gives two calls made at once, before any backend is active, the same backend', async () => {
    const [first, second] = await Promise.all([initBackend(), initBackend()]);
    expect(second).toEqual(first);
    expect(tf.getBackend()).toBeTruthy();
    // And the backend works.
    expect(Array.from(tf.add(tf.tensor1d([1, 2]), 1).dataSync())).toEqual([2, 3]);
  });

  it('loads wasm with SIMD and reports it as the active backend', async () => {
    const info = await initBackend('wasm');
    expect(info).toMatchObject({ name: 'wasm', simd: true, threads: false });
    expect(info.label).toBe(info.blas === null ? 'wasm' : `wasm+${info.blas}`);
    expect(activeBackend()).toEqual(info);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('honours DELTASCOPE_BACKEND and rejects an unknown value with the valid choices', async () => {
    process.env.DELTASCOPE_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    process.env.DELTASCOPE_BACKEND = 'gpu-please';
    await expect(initBackend()).rejects.toThrow(
      /DELTASCOPE_BACKEND is "gpu-please"; expected one of node-gpu, node, wasm, cpu/,
    );
    await initBackend('wasm');
  });

  it('finds the wasm binaries in the installed package, or where DELTASCOPE_WASM_DIR says', () => {
    const dir = resolveWasmDir();
    expect(dir.endsWith(path.sep)).toBe(true);
    expect(existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))).toBe(true);
    process.env.DELTASCOPE_WASM_DIR = '/opt/app/resources/app.asar.unpacked/wasm';
    expect(resolveWasmDir()).toBe('/opt/app/resources/app.asar.unpacked/wasm/');
    expect(resolveWasmDir('/explicit')).toBe('/explicit/');
  });
});
