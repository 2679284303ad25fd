import type { NetworkSpec } from './nn/network';
import type { MinibatchData, MinibatchStats, MinibatchWhole, PpoLossConfig } from './ppo-loss';

/**
 * The shared memory between the trainer and its update worker (ppo-update-pool.ts ↔
 * ppo-update-worker.ts): one set of SharedArrayBuffers, laid out once, read and written in place on
 * both threads, so a minibatch costs no message copies. The threads take turns, signalled with
 * Atomics on `control`: the host writes a shard and bumps REQUEST; the worker computes, writes the
 * gradient and the stats and sets DONE to the same number.
 */

/** Indices into `control`. */
export const CONTROL = {
  /** Sequence number of the latest request (host writes; −1 asks the worker to exit). */
  request: 0,
  /** Sequence number of the latest finished request (worker writes). */
  done: 1,
  /** WORKER_STATUS of the worker. */
  status: 2,
  /** Bumped by the host whenever `weights` holds new values. */
  weightsVersion: 3,
} as const;

export const WORKER_STATUS = { starting: 0, ready: 1, failed: 2 } as const;

/** Indices into `meta` (float64). */
const META = { rows: 0, wholeRows: 1, mean: 2, std: 3, stats: 4 } as const;
const STAT_KEYS = ['loss', 'policyLoss', 'valueLoss', 'entropy', 'approxKl', 'clipFraction'] as const;
const MESSAGE_BYTES = 2048;

export interface ChannelBuffers {
  control: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  obs: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  /** logProbs, advantages, returns, values: 4 × maxRows floats. */
  rowData: SharedArrayBuffer;
  message: SharedArrayBuffer;
}

/** What the worker is started with (structured-cloned; the buffers are shared, not copied). */
export interface UpdateWorkerData {
  buffers: ChannelBuffers;
  spec: NetworkSpec;
  lossConfig: PpoLossConfig;
  backend: string;
  wasmDir: string;
  maxRows: number;
}

/** Typed views over the buffers, the same on both threads. */
export interface Channel {
  control: Int32Array;
  meta: Float64Array;
  weights: Float32Array;
  grads: Float32Array;
  obs: Float32Array;
  actions: Int32Array;
  rowData: Float32Array;
  message: Uint8Array;
  maxRows: number;
  obsSize: number;
}

export function allocateBuffers(paramCount: number, maxRows: number, obsSize: number): ChannelBuffers {
  return {
    control: new SharedArrayBuffer(4 * 4),
    meta: new SharedArrayBuffer(8 * (META.stats + STAT_KEYS.length)),
    weights: new SharedArrayBuffer(4 * paramCount),
    grads: new SharedArrayBuffer(4 * paramCount),
    obs: new SharedArrayBuffer(4 * maxRows * obsSize),
    actions: new SharedArrayBuffer(4 * maxRows),
    rowData: new SharedArrayBuffer(4 * 4 * maxRows),
    message: new SharedArrayBuffer(MESSAGE_BYTES),
  };
}

export function openChannel(buffers: ChannelBuffers, maxRows: number): Channel {
  const obs = new Float32Array(buffers.obs);
  return {
    control: new Int32Array(buffers.control),
    meta: new Float64Array(buffers.meta),
    weights: new Float32Array(buffers.weights),
    grads: new Float32Array(buffers.grads),
    obs,
    actions: new Int32Array(buffers.actions),
    rowData: new Float32Array(buffers.rowData),
    message: new Uint8Array(buffers.message),
    maxRows,
    obsSize: obs.length / maxRows,
  };
}

/** Host side: puts a shard (rows of `obs` and `mb` from `start`, `rows` of them) into the channel. */
export function writeShard(
  ch: Channel,
  obs: Float32Array,
  mb: MinibatchData,
  start: number,
  rows: number,
  whole: MinibatchWhole,
): void {
  const { obsSize, maxRows } = ch;
  ch.obs.set(obs.subarray(start * obsSize, (start + rows) * obsSize));
  ch.actions.set(mb.actions.subarray(start, start + rows));
  const columns = [mb.logProbs, mb.advantages, mb.returns, mb.values];
  columns.forEach((column, j) => ch.rowData.set(column.subarray(start, start + rows), j * maxRows));
  ch.meta[META.rows] = rows;
  ch.meta[META.wholeRows] = whole.rows;
  ch.meta[META.mean] = whole.mean;
  ch.meta[META.std] = whole.std;
}

/** Worker side: views of the shard the host wrote. */
export function readShard(ch: Channel): { obs: Float32Array; mb: MinibatchData; whole: MinibatchWhole } {
  const rows = ch.meta[META.rows]!;
  const column = (j: number): Float32Array => ch.rowData.subarray(j * ch.maxRows, j * ch.maxRows + rows);
  return {
    obs: ch.obs.subarray(0, rows * ch.obsSize),
    mb: {
      actions: ch.actions.subarray(0, rows),
      logProbs: column(0),
      advantages: column(1),
      returns: column(2),
      values: column(3),
    },
    whole: { rows: ch.meta[META.wholeRows]!, mean: ch.meta[META.mean]!, std: ch.meta[META.std]! },
  };
}

export function writeStats(ch: Channel, stats: MinibatchStats): void {
  STAT_KEYS.forEach((key, j) => (ch.meta[META.stats + j] = stats[key]));
}

export function readStats(ch: Channel): MinibatchStats {
  const value = (j: number): number => ch.meta[META.stats + j]!;
  return {
    loss: value(0),
    policyLoss: value(1),
    valueLoss: value(2),
    entropy: value(3),
    approxKl: value(4),
    clipFraction: value(5),
  };
}

export function writeMessage(ch: Channel, text: string): void {
  const bytes = new TextEncoder().encode(text).subarray(0, MESSAGE_BYTES - 1);
  ch.message.fill(0);
  ch.message.set(bytes);
}

export function readMessage(ch: Channel): string {
  const end = ch.message.indexOf(0);
  // TextDecoder refuses views of shared memory: decode a copy
  return new TextDecoder().decode(ch.message.slice(0, end < 0 ? undefined : end));
}
