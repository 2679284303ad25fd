import type { GridMazeConfig } from '../shared/gridmaze-config';
import type { NetSpec, PpoSpec } from '../shared/training-spec';

/**
 * What a training run of a spec will hold in memory, derived from its env, net and PPO shapes only
 * (so a spec can be refused before anything is allocated). Mirrors the allocations of ppo.ts: the
 * rollout buffers (b…, one row per env step of an iteration), the per-env arrays, the minibatch (mb…)
 * and its forward/backward tensors, the network with its gradients, Adam moments, mask and the copies
 * a checkpoint makes. An upper-side estimate: tfjs temporaries are counted generously.
 */

const F32 = 4;
/** Actions of the gridmaze environment (up, down, left, right). */
export const GRIDMAZE_ACTIONS = 4;
/** Node, tfjs, the wasm module and SQLite before any buffer: a measured ~150 MB, rounded up. */
export const RUNTIME_BASE_BYTES = 200 * 1024 ** 2;
/** tfjs-wasm's heap is a 32-bit WebAssembly memory: tensors of one minibatch must fit in 4 GiB. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;
/**
 * Bytes per rollout row besides its observation: action (i32), log-prob, value, reward, bootstrap,
 * advantage, return (f32), the permutation index (i32) and the done flag (u8).
 */
const ROW_SCALARS_BYTES = 8 * 4 + 1;
/** Copies of the parameters: weights, gradients, Adam m and v, mask, and a checkpoint's weights + moments + their packed BLOB. */
const PARAM_COPIES = 11;
/** Per activation element in a forward/backward pass: pre-activation, output, its gradient, a tfjs temporary. */
const ACTIVATION_COPIES = 4;

export interface PpoMemoryShape {
  env: Pick<GridMazeConfig, 'size' | 'kinds' | 'view'>;
  net: NetSpec;
  ppo: Pick<PpoSpec, 'numEnvs' | 'numSteps' | 'numMinibatches' | 'updateWorkers'>;
}

export interface PpoMemoryEstimate {
  /** Floats of one observation: (kinds + 2) planes of side S (global) or 2S − 1 (egocentric). */
  obsSize: number;
  /** Trainable parameters of the actor-critic. */
  paramCount: number;
  /** Rows of the rollout batch (numEnvs × numSteps) and of one minibatch. */
  batchRows: number;
  minibatchRows: number;
  /** Bytes of each part, and their sum plus RUNTIME_BASE_BYTES. */
  rolloutBytes: number;
  envBytes: number;
  minibatchBytes: number;
  networkBytes: number;
  totalBytes: number;
  /** Bytes the largest minibatch pass needs inside the wasm heap (limit WASM_HEAP_LIMIT_BYTES). */
  wasmHeapBytes: number;
}

/** Floats in one observation of the gridmaze env. */
export function observationSize(env: PpoMemoryShape['env']): number {
  const side = env.view === 'egocentric' ? 2 * env.size - 1 : env.size;
  return (env.kinds.length + 2) * side * side;
}

/** Parameters and activation floats per row of the actor-critic of network.ts (3×3 same-padded convs). */
export function networkShape(
  net: NetSpec,
  obsPlanes: number,
  obsSide: number,
): { paramCount: number; activationsPerRow: number; im2colPerRow: number } {
  const heads = (width: number): number => (width + 1) * (GRIDMAZE_ACTIONS + 1);
  if (net.kind === 'mlp') {
    let width = obsPlanes * obsSide * obsSide;
    let paramCount = 0;
    let activationsPerRow = width;
    for (const out of net.hidden) {
      paramCount += (width + 1) * out;
      activationsPerRow += out;
      width = out;
    }
    return { paramCount: paramCount + heads(width), activationsPerRow, im2colPerRow: 0 };
  }
  const cells = obsSide * obsSide;
  let channels = obsPlanes;
  let paramCount = 0;
  let activationsPerRow = channels * cells;
  let im2colPerRow = 0;
  for (const out of net.channels) {
    paramCount += (9 * channels + 1) * out;
    im2colPerRow = Math.max(im2colPerRow, 9 * channels * cells, 9 * out * cells);
    activationsPerRow += out * cells;
    channels = out;
  }
  paramCount += (channels * cells + 1) * net.denseWidth;
  activationsPerRow += net.denseWidth;
  return { paramCount: paramCount + heads(net.denseWidth), activationsPerRow, im2colPerRow };
}

/** The memory a training run of this env/net/PPO shape needs (see the file comment). */
export function estimatePpoMemory(shape: PpoMemoryShape): PpoMemoryEstimate {
  const { env, net, ppo } = shape;
  const obsSize = observationSize(env);
  const side = env.view === 'egocentric' ? 2 * env.size - 1 : env.size;
  const { paramCount, activationsPerRow, im2colPerRow } = networkShape(net, env.kinds.length + 2, side);
  const batchRows = ppo.numEnvs * ppo.numSteps;
  const minibatchRows = batchRows / ppo.numMinibatches;
  const outWidth = GRIDMAZE_ACTIONS + 1;
  const rolloutBytes = batchRows * (obsSize * F32 + ROW_SCALARS_BYTES);
  // per env: nextObs, final-obs rows, the env's two obs buffers and its final obs, its grid; the
  // rollout's forward pass over all envs at once
  const envBytes =
    ppo.numEnvs * (5 * obsSize * F32 + 4 * env.size * env.size * F32) +
    ppo.numEnvs * (activationsPerRow * ACTIVATION_COPIES + outWidth) * F32;
  // one minibatch pass: its tensors in the wasm heap, plus the host's mbObs, mb arrays and dz
  const wasmHeapBytes =
    minibatchRows * (obsSize + activationsPerRow * ACTIVATION_COPIES + im2colPerRow + 2 * outWidth) * F32 +
    PARAM_COPIES * paramCount * F32;
  const hostMinibatchBytes = minibatchRows * (obsSize + 5 + 2 * outWidth) * F32;
  // with 2 update workers, the worker holds its own network and half of each minibatch pass
  const workerFactor = ppo.updateWorkers === 2 ? 1.5 : 1;
  const minibatchBytes =
    (wasmHeapBytes - PARAM_COPIES * paramCount * F32) * workerFactor + hostMinibatchBytes;
  const networkBytes = PARAM_COPIES * paramCount * F32 * (ppo.updateWorkers === 2 ? 2 : 1);
  return {
    obsSize,
    paramCount,
    batchRows,
    minibatchRows,
    rolloutBytes,
    envBytes,
    minibatchBytes,
    networkBytes,
    totalBytes: RUNTIME_BASE_BYTES + rolloutBytes + envBytes + minibatchBytes + networkBytes,
    wasmHeapBytes,
  };
}
