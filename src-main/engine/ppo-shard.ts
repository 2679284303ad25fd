import * as tf from '@tensorflow/tfjs-core';
import { DeltascopeError } from '../shared/errors';
import type { PolicyNetwork } from './nn/network';
import {
  ppoMinibatchLoss,
  type MinibatchData,
  type MinibatchStats,
  type MinibatchWhole,
  type PpoLossConfig,
} from './ppo-loss';

/**
 * The gradient of one row shard of a PPO minibatch: forward the shard's observations, the host loss
 * (ppo-loss.ts) over the heads' output as one custom-gradient op, backward. Used by the trainer's
 * data-parallel update on both threads, so both halves run the same code; with `whole` the shard's
 * gradient is its share of the minibatch's mean, and the shards' gradients add up to the minibatch's.
 */

export interface ShardGradients {
  /** ∂loss/∂θ per parameter (the network's `params` order), flat and row-major. */
  grads: Float32Array[];
  stats: MinibatchStats;
}

/** ∂loss_shard/∂θ for observation rows `obs` [rows, obsSize] and their minibatch data `mb`. */
export function shardGradients(
  net: PolicyNetwork,
  obs: Float32Array,
  mb: MinibatchData,
  config: PpoLossConfig,
  whole?: MinibatchWhole,
): ShardGradients {
  const rows = mb.actions.length;
  const [c, h, w] = net.spec.obsShape;
  const obsSize = c * h * w;
  if (obs.length !== rows * obsSize) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `shard observations have ${obs.length} values; expected ${rows}×${obsSize}`,
    );
  }
  const numActions = net.spec.numActions;
  const dz = new Float32Array(rows * (numActions + 1));
  const variables = net.params.map((p) => p.variable);
  let stats: MinibatchStats | null = null;
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    stats = ppoMinibatchLoss(z.dataSync() as Float32Array, numActions, mb, config, dz, whole);
    return {
      value: tf.scalar(stats.loss),
      gradFunc: (dy: tf.Tensor) => [tf.mul(tf.tensor2d(dz, z.shape), dy)],
    };
  }) as (z: tf.Tensor) => tf.Scalar;
  const grads: Float32Array[] = [];
  tf.tidy(() => {
    const x = tf.tensor2d(obs, [rows, obsSize]);
    const { grads: byName } = tf.variableGrads(() => loss(net.forward(x)), variables);
    // dataSync copies out of the wasm heap; other backends may hand back their own storage
    const copy = tf.getBackend() !== 'wasm';
    for (const v of variables) {
      const data = byName[v.name]!.dataSync() as Float32Array;
      grads.push(copy ? data.slice() : data);
    }
  }); // (a tidy walks its return value: typed arrays stay outside it)
  return { grads, stats: stats! };
}
