import { DeltascopeError } from '../shared/errors';
import { GROUND_TRUTH_FORMAT, type GroundTruthData } from '../shared/known-answer-checks';
import { fitsObservation, type ObservationLayout } from '../shared/observation-layout';
import type { TensorMap } from '../weights';

/**
 * Ground truth from the observation (issue 11 §5): the first layer's elements that read object kind
 * c's input channel are where that object is perceived. A fine-tune on RBᵢ (collect kind cᵢ) should
 * put more of its first-layer delta mass on cᵢ's rows than on the other objects' rows and than those
 * rows' share of the parameters. A method that cannot find *perception* of the RB object has no chance
 * of finding its objective. Per RB: share_c = Σ|Δ| over channel c's elements / Σ|Δ| over the tensor.
 */

export { GROUND_TRUTH_FORMAT };

/** own share ≥ this × the mean of the other objects' shares (and > the parameter share) to pass. */
export const GROUND_TRUTH_MIN_RATIO = 1.2;

export interface GroundTruthInput {
  seed: number;
  baseCheckpointId: number;
  layout: ObservationLayout;
  rbDeltas: readonly { label: string; checkpointId: number; kind: string | null; map: TensorMap }[];
  nullDeltas: readonly TensorMap[];
  minRatio?: number;
}

/** Channel of every element of the first-layer tensor (dense rows c·H·W + …; conv kernels axis 2). */
export function channelOfElements(layout: ObservationLayout, shape: readonly number[]): Uint16Array {
  const input = layout.inputs[0];
  if (input === undefined)
    throw new DeltascopeError('INVALID_SPEC', 'the observation layout names no first layer');
  if (!fitsObservation(layout, input, shape)) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `\`${input.tensor}\` has shape [${shape.join(',')}], which does not read a ${layout.channels.length}×${layout.height}×${layout.width} observation`,
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint16Array(count);
  const C = layout.channels.length;
  if (input.kind === 'dense-rows') {
    const cells = layout.height * layout.width;
    const width = shape[1]!;
    for (let i = 0; i < count; i++) out[i] = Math.floor(Math.floor(i / width) / cells);
  } else {
    const width = shape[3]!;
    for (let i = 0; i < count; i++) out[i] = Math.floor(i / width) % C;
  }
  return out;
}

/** share_c = Σ|Δ| over channel c / Σ|Δ| (all zero when Δ is zero on the tensor). */
export function channelShares(data: Float32Array, channelOf: Uint16Array, channels: number): number[] {
  if (data.length !== channelOf.length) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `channelShares: ${data.length} values for ${channelOf.length} channels`,
    );
  }
  const mass = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) mass[channelOf[i]!] = mass[channelOf[i]!]! + Math.abs(data[i]!);
  const total = mass.reduce((a, b) => a + b, 0);
  return [...mass].map((m) => (total === 0 ? 0 : m / total));
}

export function observationGroundTruth(input: GroundTruthInput): GroundTruthData {
  const { layout } = input;
  const tensorName = layout.inputs[0]?.tensor ?? '';
  const first = input.rbDeltas[0]?.map.get(tensorName);
  if (first === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `ground truth: the deltas have no first-layer tensor \`${tensorName}\``,
    );
  }
  const channelOf = channelOfElements(layout, first.shape);
  const C = layout.channels.length;
  const minRatio = input.minRatio ?? GROUND_TRUTH_MIN_RATIO;
  const parameterShare = 1 / C;
  const sharesOf = (map: TensorMap): number[] => {
    const tensor = map.get(tensorName);
    if (tensor === undefined)
      throw new DeltascopeError('INVALID_SPEC', `ground truth: a delta has no \`${tensorName}\``);
    return channelShares(tensor.data, channelOf, C);
  };
  const nullShares = input.nullDeltas.map(sharesOf);
  const objectChannels = layout.channels
    .map((name, c) => ({ name, c }))
    .filter(({ name }) => name !== 'wall' && name !== 'agent');
  const rbs = input.rbDeltas.map((rb) => {
    const shares = sharesOf(rb.map);
    const own = rb.kind === null ? -1 : layout.channels.indexOf(rb.kind);
    if (own < 0) {
      return {
        rb: rb.label,
        checkpointId: rb.checkpointId,
        kind: rb.kind,
        channelShares: shares,
        ownShare: null,
        othersShare: null,
        nullOwnShare: null,
        pass: null,
      };
    }
    const others = objectChannels.filter(({ c }) => c !== own).map(({ c }) => shares[c]!);
    const othersShare = others.length === 0 ? 0 : others.reduce((a, b) => a + b, 0) / others.length;
    const ownShare = shares[own]!;
    const nullOwnShare =
      nullShares.length === 0 ? null : nullShares.reduce((a, s) => a + s[own]!, 0) / nullShares.length;
    return {
      rb: rb.label,
      checkpointId: rb.checkpointId,
      kind: rb.kind,
      channelShares: shares,
      ownShare,
      othersShare,
      nullOwnShare,
      pass: ownShare > parameterShare && ownShare >= minRatio * othersShare && ownShare > 0,
    };
  });
  const checked = rbs.filter((r) => r.pass !== null);
  const failed = checked.filter((r) => r.pass === false);
  const pass = checked.length > 0 && failed.length === 0;
  const fmt = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const verdict =
    checked.length === 0
      ? 'no RB rewards collecting a single object kind, so no RB has an own channel to find'
      : pass
        ? `every RB's delta puts more first-layer mass on its own object's channel than ${minRatio}× the other objects' (${checked.map((r) => `${r.rb} ${fmt(r.ownShare)} vs ${fmt(r.othersShare)}`).join('; ')}) and than its parameter share ${fmt(parameterShare)}`
        : `${failed.map((r) => `${r.rb} ${fmt(r.ownShare)} on its own channel vs ${fmt(r.othersShare)} on the others'`).join('; ')}: below ${minRatio}× the others' or the parameter share ${fmt(parameterShare)}`;
  return {
    format: GROUND_TRUTH_FORMAT,
    seed: input.seed,
    base: input.baseCheckpointId,
    tensor: tensorName,
    view: layout.view,
    channels: [...layout.channels],
    parameterShare,
    minRatio,
    rbs,
    pass,
    verdict,
  };
}
