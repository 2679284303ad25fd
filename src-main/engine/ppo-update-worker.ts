/**
 * Entry of the PPO update worker (a worker_thread started by ppo-update-pool.ts): its own tfjs
 * instance and a copy of the network compute one row shard of each minibatch while the trainer's
 * thread computes the other. It blocks in Atomics.wait between requests (no event loop is needed:
 * everything travels through the shared buffers of ppo-update-channel.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { workerData } from 'node:worker_threads';
import { initBackend, type BackendChoice } from './backend';
import { createNetwork, type PolicyNetwork } from './nn/network';
import {
  CONTROL,
  WORKER_STATUS,
  openChannel,
  readShard,
  writeMessage,
  writeStats,
  type Channel,
  type UpdateWorkerData,
} from './ppo-update-channel';
import { shardGradients } from './ppo-shard';

/** Copies the shared weights into the network's variables. */
function loadWeights(net: PolicyNetwork, ch: Channel): void {
  let offset = 0;
  for (const { variable } of net.params) {
    const values = ch.weights.slice(offset, offset + variable.size);
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
    offset += variable.size;
  }
}

function computeShard(net: PolicyNetwork, ch: Channel, data: UpdateWorkerData): void {
  const { obs, mb, whole } = readShard(ch);
  const { grads, stats } = shardGradients(net, obs, mb, data.lossConfig, whole);
  let offset = 0;
  for (const g of grads) {
    ch.grads.set(g, offset);
    offset += g.length;
  }
  writeStats(ch, stats);
}

function fail(ch: Channel, error: unknown): void {
  writeMessage(ch, error instanceof Error ? error.message : String(error));
  Atomics.store(ch.control, CONTROL.status, WORKER_STATUS.failed);
  Atomics.notify(ch.control, CONTROL.status);
  Atomics.store(ch.control, CONTROL.done, Atomics.load(ch.control, CONTROL.request));
  Atomics.notify(ch.control, CONTROL.done);
}

async function main(data: UpdateWorkerData): Promise<void> {
  const ch = openChannel(data.buffers, data.maxRows);
  let net: PolicyNetwork;
  try {
    await initBackend(data.backend as BackendChoice, { wasmDir: data.wasmDir });
    net = createNetwork(data.spec, 0); // initial values are replaced by the host's before any use
  } catch (error) {
    fail(ch, error);
    return;
  }
  Atomics.store(ch.control, CONTROL.status, WORKER_STATUS.ready);
  Atomics.notify(ch.control, CONTROL.status);
  let seen = 0;
  let weightsVersion = -1;
  for (;;) {
    Atomics.wait(ch.control, CONTROL.request, seen);
    const request = Atomics.load(ch.control, CONTROL.request);
    if (request < 0) return;
    if (request === seen) continue;
    seen = request;
    try {
      const version = Atomics.load(ch.control, CONTROL.weightsVersion);
      if (version !== weightsVersion) {
        loadWeights(net, ch);
        weightsVersion = version;
      }
      computeShard(net, ch, data);
    } catch (error) {
      fail(ch, error);
      return;
    }
    Atomics.store(ch.control, CONTROL.done, request);
    Atomics.notify(ch.control, CONTROL.done);
  }
}

void main(workerData as UpdateWorkerData);
