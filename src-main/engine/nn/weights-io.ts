import * as tf from '@tensorflow/tfjs-core';
import { DeltascopeError } from '../../shared/errors';

/** A trainable parameter under its stable checkpoint name (e.g. `torso.dense1.kernel`). */
export interface NamedParam {
  name: string;
  variable: tf.Variable;
}

/** One tensor of a checkpoint as plain data. */
export interface WeightTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Copies every parameter to host memory, in parameter order. */
export function exportWeights(params: readonly NamedParam[]): WeightTensor[] {
  return params.map((p) => ({
    name: p.name,
    shape: [...p.variable.shape],
    data: (p.variable.dataSync() as Float32Array).slice(),
  }));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks names, shapes and lengths first (errors name the tensor), then assigns all parameters. */
export function importWeights(params: readonly NamedParam[], weights: readonly WeightTensor[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const known = new Set(params.map((p) => p.name));
  for (const w of weights) {
    if (!known.has(w.name)) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `weights have tensor \`${w.name}\` that this network does not have`,
      );
    }
  }
  for (const p of params) {
    const w = byName.get(p.name);
    if (w === undefined) throw new DeltascopeError('SHAPE_MISMATCH', `weights lack tensor \`${p.name}\``);
    if (!sameShape(w.shape, p.variable.shape)) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `tensor \`${p.name}\` has shape [${w.shape.join(',')}]; the network expects [${p.variable.shape.join(',')}]`,
      );
    }
    if (w.data.length !== p.variable.size) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `tensor \`${p.name}\` has ${w.data.length} values; its shape [${w.shape.join(',')}] needs ${p.variable.size}`,
      );
    }
  }
  for (const p of params) {
    const w = byName.get(p.name)!;
    tf.tidy(() => p.variable.assign(tf.tensor(w.data.slice(), p.variable.shape)));
  }
}
