import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { DeltascopeError } from '../shared/errors';
import { activeBackend, resolveWasmDir } from './backend';
import type { PolicyNetwork } from './nn/network';
import type { MinibatchData, MinibatchStats, MinibatchWhole, PpoLossConfig } from './ppo-loss';
import {
  CONTROL,
  WORKER_STATUS,
  allocateBuffers,
  openChannel,
  readMessage,
  readStats,
  writeShard,
  type Channel,
  type UpdateWorkerData,
} from './ppo-update-channel';

/**
 * The trainer's side of a data-parallel update: one worker_thread (ppo-update-worker.ts) with its own
 * tfjs instance computes a row shard of each minibatch while the trainer's thread computes the rest.
 * The API is synchronous (Atomics.wait), so `iterate()` stays synchronous: `startShard` hands the
 * worker its rows, the caller computes its own, `finishShard` waits and returns the worker's gradient
 * (views of shared memory, valid until the next `startShard`). The worker starts in the background
 * when the pool is created; the first `finishShard` waits for it.
 */

export interface UpdatePool {
  /** Makes `values` (parameter order) the weights of the worker's next shards. */
  setWeights(values: readonly Float32Array[]): void;
  /** Starts the worker on rows [start, start + rows) of `obs` and `mb`. */
  startShard(obs: Float32Array, mb: MinibatchData, start: number, rows: number, whole: MinibatchWhole): void;
  /** Waits for the started shard; its gradient per parameter (views valid until the next start). */
  finishShard(): { grads: Float32Array[]; stats: MinibatchStats };
  dispose(): void;
}

/** How long to wait for the worker before giving up (it loads tfjs and its wasm binary first). */
const START_TIMEOUT_MS = 120_000;

function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/** The worker: a bundled ppo-update-worker.cjs next to this code, else the source through tsx. */
function startWorker(data: UpdateWorkerData): Worker {
  const dir = moduleDir();
  const bundled = join(dir, 'ppo-update-worker.cjs');
  if (existsSync(bundled)) return new Worker(bundled, { workerData: data });
  const source = join(dir, 'ppo-update-worker.ts');
  if (!existsSync(source)) {
    throw new DeltascopeError(
      'INTERNAL',
      `the PPO update worker is missing: neither ${bundled} nor ${source} exists (set updateWorkers to 1)`,
    );
  }
  // worker execArgv cannot load tsx in Node 20, so a bootstrap registers it and imports the source
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(
    pathToFileURL(source).href,
  )}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export function createUpdatePool(net: PolicyNetwork, maxRows: number, lossConfig: PpoLossConfig): UpdatePool {
  const sizes = net.params.map((p) => p.variable.size);
  const paramCount = sizes.reduce((a, b) => a + b, 0);
  const [c, h, w] = net.spec.obsShape;
  const buffers = allocateBuffers(paramCount, maxRows, c * h * w);
  const ch: Channel = openChannel(buffers, maxRows);
  const backend = activeBackend()?.name ?? tf.getBackend();
  const worker = startWorker({
    buffers,
    spec: net.spec,
    lossConfig: { ...lossConfig },
    backend,
    wasmDir: resolveWasmDir(),
    maxRows,
  });
  worker.unref(); // an idle worker blocks in Atomics.wait; it must not keep the process alive
  let exitCode: number | null = null;
  worker.on('exit', (code) => (exitCode = code));
  let request = 0;
  let disposed = false;

  function failure(): DeltascopeError {
    const detail = readMessage(ch);
    return new DeltascopeError(
      'INTERNAL',
      `the PPO update worker failed: ${detail || `exit code ${exitCode}`}`,
    );
  }

  function waitReady(): void {
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (Atomics.load(ch.control, CONTROL.status) === WORKER_STATUS.starting) {
      if (performance.now() > deadline) {
        throw new DeltascopeError(
          'INTERNAL',
          `the PPO update worker did not start within ${START_TIMEOUT_MS / 1000} s`,
        );
      }
      Atomics.wait(ch.control, CONTROL.status, WORKER_STATUS.starting, 1000);
    }
    if (Atomics.load(ch.control, CONTROL.status) === WORKER_STATUS.failed) throw failure();
  }

  function checkLive(): void {
    if (disposed) throw new DeltascopeError('INTERNAL', 'the PPO update pool was disposed');
  }

  return {
    setWeights(values) {
      checkLive();
      let offset = 0;
      values.forEach((v, i) => {
        if (v.length !== sizes[i]) {
          throw new DeltascopeError(
            'SHAPE_MISMATCH',
            `update worker weights: \`${net.params[i]!.name}\` has ${v.length} values; expected ${sizes[i]}`,
          );
        }
        ch.weights.set(v, offset);
        offset += v.length;
      });
      Atomics.add(ch.control, CONTROL.weightsVersion, 1);
    },
    startShard(obs, mb, start, rows, whole) {
      checkLive();
      if (rows > maxRows) {
        throw new DeltascopeError(
          'SHAPE_MISMATCH',
          `update shard has ${rows} rows; the pool holds ${maxRows}`,
        );
      }
      writeShard(ch, obs, mb, start, rows, whole);
      request += 1;
      Atomics.store(ch.control, CONTROL.request, request);
      Atomics.notify(ch.control, CONTROL.request);
    },
    finishShard() {
      checkLive();
      waitReady();
      while (Atomics.load(ch.control, CONTROL.done) !== request) {
        if (Atomics.load(ch.control, CONTROL.status) === WORKER_STATUS.failed) break;
        Atomics.wait(ch.control, CONTROL.done, Atomics.load(ch.control, CONTROL.done), 1000);
        if (exitCode !== null) break;
      }
      if (Atomics.load(ch.control, CONTROL.status) === WORKER_STATUS.failed || exitCode !== null)
        throw failure();
      const grads: Float32Array[] = [];
      let offset = 0;
      for (const size of sizes) {
        grads.push(ch.grads.subarray(offset, offset + size));
        offset += size;
      }
      return { grads, stats: readStats(ch) };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      Atomics.store(ch.control, CONTROL.request, -1);
      Atomics.notify(ch.control, CONTROL.request);
      void worker.terminate();
    },
  };
}
