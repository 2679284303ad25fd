import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '../../shared/random';
import { DeltascopeError } from '../../shared/errors';
import type { Activation } from './activation';
import { conv2d } from './conv';
import { dense, denseHeads } from './dense';
import { orthogonal } from './orthogonal';
import { exportWeights, importWeights, type NamedParam, type WeightTensor } from './weights-io';

/**
 * The actor-critic networks of the reference PPO, with stable dotted parameter names:
 *   MLP: obs → dense tanh … (torso.dense1, torso.dense2, …) → heads `policy` (logits) and `value`;
 *   CNN: obs as [C, H, W] → 3×3 ReLU convs, same padding (torso.conv1, …) → flatten → dense ReLU
 *        (torso.dense1) → the same heads.
 * Layouts are tfjs's: dense kernels [in, out], conv kernels [k, k, Cin, Cout], NHWC activations (so the
 * CNN flattens in (H, W, C) order). Init: orthogonal, gain √2 hidden, 0.01 policy, 1 value, zero biases.
 */

export type NetworkKind = 'mlp' | 'cnn';

export interface NetworkSpec {
  kind: NetworkKind;
  /** Channels, height, width of one observation (the env's obsShape). */
  obsShape: readonly [number, number, number];
  numActions: number;
  /** MLP: widths of the tanh torso layers. Default [256, 256]. */
  hidden?: readonly number[];
  /** CNN: output channels of the 3×3 ReLU convs. Default [16, 32]. */
  channels?: readonly number[];
  /** CNN: width of the ReLU dense layer after flatten. Default 256. */
  denseWidth?: number;
}

export type ResolvedNetworkSpec = Required<NetworkSpec>;

/** The layers of a network as a training spec gives them (shared/training-spec.ts NetSpec). */
export type NetworkLayers = Pick<NetworkSpec, 'kind' | 'hidden' | 'channels' | 'denseWidth'>;

/** The network of `net`'s layers over an env's observations and actions. */
export function networkSpecFor(
  net: NetworkLayers,
  env: { obsShape: readonly [number, number, number]; numActions: number },
): NetworkSpec {
  return {
    kind: net.kind,
    obsShape: env.obsShape,
    numActions: env.numActions,
    hidden: net.hidden,
    channels: net.channels,
    denseWidth: net.denseWidth,
  };
}

export interface PolicyNetwork {
  readonly spec: ResolvedNetworkSpec;
  /** Trainable parameters in a fixed order (torso first, then policy, then value). */
  readonly params: readonly NamedParam[];
  /** obs [batch, C·H·W] (channel-major rows) → [batch, numActions + 1]: the logits, then the value. */
  forward(obs: tf.Tensor2D): tf.Tensor2D;
  paramCount(): number;
  exportWeights(): WeightTensor[];
  /** Replaces every parameter; shapes and names must match (errors name the tensor). */
  importWeights(weights: readonly WeightTensor[]): void;
  dispose(): void;
}

/** Random-stream id of the weight initialisation (see shared/random deriveSeed64). */
export const INIT_STREAM = 0x1417;

interface LayerPlan {
  name: string;
  type: 'dense' | 'conv';
  inSize: number;
  outSize: number;
  kernelSize: number;
  activation: Activation;
  gain: number;
}

export function resolveSpec(spec: NetworkSpec): ResolvedNetworkSpec {
  const resolved: ResolvedNetworkSpec = {
    kind: spec.kind,
    obsShape: spec.obsShape,
    numActions: spec.numActions,
    hidden: spec.hidden ?? [256, 256],
    channels: spec.channels ?? [16, 32],
    denseWidth: spec.denseWidth ?? 256,
  };
  const widths = [
    ...resolved.obsShape,
    resolved.numActions,
    ...resolved.hidden,
    ...resolved.channels,
    resolved.denseWidth,
  ];
  if (!widths.every((w) => Number.isInteger(w) && w > 0) || (spec.kind !== 'mlp' && spec.kind !== 'cnn')) {
    throw new DeltascopeError('INVALID_SPEC', `network spec is invalid: ${JSON.stringify(resolved)}`);
  }
  return resolved;
}

/** The layers, in order, with their sizes, activations and init gains. */
function planLayers(spec: ResolvedNetworkSpec): LayerPlan[] {
  const [c, h, w] = spec.obsShape;
  const hiddenGain = Math.SQRT2;
  const layers: LayerPlan[] = [];
  let width: number;
  if (spec.kind === 'mlp') {
    width = c * h * w;
    spec.hidden.forEach((out, i) => {
      layers.push({
        name: `torso.dense${i + 1}`,
        type: 'dense',
        inSize: width,
        outSize: out,
        kernelSize: 1,
        activation: 'tanh',
        gain: hiddenGain,
      });
      width = out;
    });
  } else {
    let channels = c;
    spec.channels.forEach((out, i) => {
      layers.push({
        name: `torso.conv${i + 1}`,
        type: 'conv',
        inSize: channels,
        outSize: out,
        kernelSize: 3,
        activation: 'relu',
        gain: hiddenGain,
      });
      channels = out;
    });
    layers.push({
      name: 'torso.dense1',
      type: 'dense',
      inSize: channels * h * w,
      outSize: spec.denseWidth,
      kernelSize: 1,
      activation: 'relu',
      gain: hiddenGain,
    });
    width = spec.denseWidth;
  }
  layers.push({
    name: 'policy',
    type: 'dense',
    inSize: width,
    outSize: spec.numActions,
    kernelSize: 1,
    activation: 'linear',
    gain: 0.01,
  });
  layers.push({
    name: 'value',
    type: 'dense',
    inSize: width,
    outSize: 1,
    kernelSize: 1,
    activation: 'linear',
    gain: 1,
  });
  return layers;
}

/** Kernel values in our layout from torch's orthogonal weight [out, in·k·k] (rows = outputs). */
function initKernel(layer: LayerPlan, rng: Rng): { shape: number[]; data: Float32Array } {
  const k = layer.kernelSize;
  const fanIn = layer.inSize * k * k;
  const torchWeight = orthogonal(layer.outSize, fanIn, layer.gain, rng);
  const data = new Float32Array(torchWeight.length);
  for (let o = 0; o < layer.outSize; o++) {
    for (let f = 0; f < fanIn; f++) {
      // f = ci·k·k + i·k + j (torch's [Cout, Cin, k, k]) → ours [i, j, ci, o]; dense: k = 1, f = ci
      const ci = Math.floor(f / (k * k));
      const ij = f % (k * k);
      data[(ij * layer.inSize + ci) * layer.outSize + o] = torchWeight[o * fanIn + f]!;
    }
  }
  const shape = layer.type === 'conv' ? [k, k, layer.inSize, layer.outSize] : [layer.inSize, layer.outSize];
  return { shape, data };
}

let networkCounter = 0;

/** A network of `spec` initialised from `seed`: the same seed gives the same initial weights. */
export function createNetwork(spec: NetworkSpec, seed: number): PolicyNetwork {
  const resolved = resolveSpec(spec);
  const layers = planLayers(resolved);
  const rng = createRng(seed, INIT_STREAM);
  const prefix = `deltascope-net${networkCounter++}`;
  const params: NamedParam[] = [];
  for (const layer of layers) {
    const kernel = initKernel(layer, rng);
    const kernelName = `${layer.name}.kernel`;
    const biasName = `${layer.name}.bias`;
    params.push({
      name: kernelName,
      variable: tf.variable(tf.tensor(kernel.data, kernel.shape), true, `${prefix}/${kernelName}`),
    });
    params.push({
      name: biasName,
      variable: tf.variable(tf.zeros([layer.outSize]), true, `${prefix}/${biasName}`),
    });
  }
  const byName = new Map(params.map((p) => [p.name, p.variable]));
  const get = (name: string): tf.Variable => byName.get(name)!;
  const [c, h, w] = resolved.obsShape;
  const obsSize = c * h * w;
  const torsoLayers = layers.slice(0, -2);

  function forward(obs: tf.Tensor2D): tf.Tensor2D {
    if (obs.rank !== 2 || obs.shape[1] !== obsSize) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `network input obs has shape [${obs.shape.join(',')}]; expected [batch, ${obsSize}]`,
      );
    }
    const batch = obs.shape[0];
    let x: tf.Tensor =
      resolved.kind === 'cnn' ? tf.transpose(tf.reshape(obs, [batch, c, h, w]), [0, 2, 3, 1]) : obs;
    torsoLayers.forEach((layer, i) => {
      const kernel = get(`${layer.name}.kernel`);
      const bias = get(`${layer.name}.bias`) as tf.Tensor1D;
      const inputGrad = i > 0; // the observation needs no gradient
      if (layer.type === 'conv') {
        x = conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, bias, layer.activation, inputGrad);
      } else {
        x = dense(x, kernel as tf.Tensor2D, bias, layer.activation, inputGrad);
      }
    });
    return denseHeads(x as tf.Tensor2D, [
      [get('policy.kernel') as tf.Tensor2D, get('policy.bias') as tf.Tensor1D],
      [get('value.kernel') as tf.Tensor2D, get('value.bias') as tf.Tensor1D],
    ]);
  }

  return {
    spec: resolved,
    params,
    forward,
    paramCount: () => params.reduce((sum, p) => sum + p.variable.size, 0),
    exportWeights: () => exportWeights(params),
    importWeights: (weights) => importWeights(params, weights),
    dispose: () => params.forEach((p) => p.variable.dispose()),
  };
}

/** Parameter count of a spec without building it: Σ (fan_in·out + out) over the layers. */
export function countParams(spec: NetworkSpec): number {
  return planLayers(resolveSpec(spec)).reduce(
    (sum, l) => sum + l.inSize * l.kernelSize ** 2 * l.outSize + l.outSize,
    0,
  );
}
