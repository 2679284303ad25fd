import { createRng } from '../shared/random';
import { DeltascopeError } from '../shared/errors';
import type { AggregatorChoice } from '../shared/experiment-spec';
import { SPIKE_IN_FORMAT, type PlantedBlock, type SpikeInData } from '../shared/known-answer-checks';
import { kthLargestAbs, type NamedTensor, type TensorMap } from '../weights';
import { superpose } from './superposition';

/**
 * Spike-in calibration (issue 11 §5): on an *unrestricted* replication (nothing masked, so every map
 * is free to be anywhere), add the same planted sparse vector v to every RB delta — v = snr · σ · ±1 on
 * one block of one tensor, σ the null drift's per-parameter SD over that block, signs fixed per element
 * and shared by the RBs (a common "objective") — fold the spiked deltas with each aggregator and score
 * precision@k of the block (k = block length). SNR 0 plants nothing: an aggregator that "finds" the
 * block then was not looking at the plant. The detection curve per aggregator shows where each stops
 * seeing it; the check passes when some aggregator sees it at the largest SNR and none without a plant.
 */

export { SPIKE_IN_FORMAT };

/**
 * SNRs of the plant, × the null drift's per-parameter SD: 8 and 4 show where an aggregator starts
 * seeing the block, the pass is judged at SPIKE_IN_PASS_SNR.
 */
export const DEFAULT_SPIKE_IN_SNRS: readonly number[] = [8, 4, 2, 1, 0.5, 0.25];
/** An aggregator passes when it sees the block at this SNR or a lower one (and not without a plant). */
export const SPIKE_IN_PASS_SNR = 2;
/** An aggregator sees the block when ≥ this share of its top-k is the block. */
export const SPIKE_IN_PASS_PRECISION = 0.5;
/** Block size as a share of the model's parameters (at least MIN_BLOCK elements). */
export const SPIKE_IN_BLOCK_FRACTION = 0.01;
const MIN_BLOCK = 8;
const SIGN_STREAM = 0x5b1c_0000;

export interface SpikeInDelta {
  label: string;
  checkpointId: number;
  map: TensorMap;
}

export interface SpikeInInput {
  seed: number;
  baseCheckpointId: number;
  rbDeltas: readonly SpikeInDelta[];
  nullDeltas: readonly SpikeInDelta[];
  aggregators: readonly AggregatorChoice[];
  block: PlantedBlock;
  snrs?: readonly number[];
  passPrecision?: number;
  tiesDensity: number;
  dareDropProbability: number;
}

/**
 * The pipeline's stages, replaceable so a test can break one on purpose and see the check fail:
 * plant v into a delta, fold deltas into a relevance map |m|, score the map against the block.
 */
export interface SpikeInStages {
  plant(delta: TensorMap, block: PlantedBlock, values: Float32Array): TensorMap;
  aggregate(choice: AggregatorChoice, rbDeltas: readonly SpikeInDelta[], input: SpikeInInput): TensorMap;
  score(map: TensorMap, block: PlantedBlock): number;
}

/** σ = √(mean over null deltas and block elements of Δ²): the null drift's per-parameter SD there. */
export function nullDriftSd(nullDeltas: readonly TensorMap[], block: PlantedBlock): number {
  if (nullDeltas.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'spike-in calibration needs at least one null control');
  let sum = 0;
  for (const map of nullDeltas) {
    const data = blockData(map, block);
    for (let i = block.start; i < block.start + block.length; i++) sum += data[i]! ** 2;
  }
  return Math.sqrt(sum / (nullDeltas.length * block.length));
}

function blockData(map: TensorMap, block: PlantedBlock): Float32Array {
  const tensor = map.get(block.tensor);
  if (tensor === undefined)
    throw new DeltascopeError('INVALID_SPEC', `spike-in: the model has no tensor \`${block.tensor}\``);
  if (block.start + block.length > tensor.data.length) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `spike-in: block [${block.start}, ${block.start + block.length}) is outside \`${block.tensor}\` (${tensor.data.length} elements)`,
    );
  }
  return tensor.data;
}

/** Δ + v on the block (a new map; other tensors shared). */
export function plantBlock(delta: TensorMap, block: PlantedBlock, values: Float32Array): TensorMap {
  const data = blockData(delta, block).slice();
  for (let i = 0; i < block.length; i++) data[block.start + i] = data[block.start + i]! + values[i]!;
  const out = new Map<string, NamedTensor>(delta);
  const tensor = delta.get(block.tensor)!;
  out.set(block.tensor, { name: tensor.name, shape: [...tensor.shape], data });
  return out;
}

/**
 * precision@k = |top-k of |m| ∩ block| / k, k = block length; elements tied at the k-th value count
 * pro rata (an all-zero map scores the block's share of the parameters, i.e. chance).
 */
export function precisionAtK(map: TensorMap, block: PlantedBlock): number {
  const tensors = [...map.values()];
  const total = tensors.reduce((sum, t) => sum + t.data.length, 0);
  const all = new Float32Array(total);
  let offset = 0;
  let blockOffset = -1;
  for (const t of tensors) {
    if (t.name === block.tensor) blockOffset = offset;
    for (let i = 0; i < t.data.length; i++)
      all[offset + i] = Number.isFinite(t.data[i]) ? Math.abs(t.data[i]!) : 0;
    offset += t.data.length;
  }
  if (blockOffset < 0) blockData(map, block);
  const k = Math.min(block.length, total);
  const threshold = kthLargestAbs(all, k);
  let above = 0;
  let tied = 0;
  for (let i = 0; i < total; i++) {
    if (all[i]! > threshold) above += 1;
    else if (all[i] === threshold) tied += 1;
  }
  let blockAbove = 0;
  let blockTied = 0;
  for (let i = blockOffset + block.start; i < blockOffset + block.start + block.length; i++) {
    if (all[i]! > threshold) blockAbove += 1;
    else if (all[i] === threshold) blockTied += 1;
  }
  return (blockAbove + (tied === 0 ? 0 : (blockTied * (k - above)) / tied)) / k;
}

export const DEFAULT_SPIKE_IN_STAGES: SpikeInStages = {
  plant: plantBlock,
  aggregate: (choice, rbDeltas, input) =>
    superpose({
      seed: input.seed,
      base: emptyBase(rbDeltas[0]!.map),
      rbDeltas: [...rbDeltas],
      nullDeltas: [...input.nullDeltas],
      aggregators: [choice],
      tiesDensity: input.tiesDensity,
      dareDropProbability: input.dareDropProbability,
    }).maps[0]!.map,
  score: precisionAtK,
};

/** A zero map of the deltas' layout (superpose checks the deltas against a base of that layout). */
function emptyBase(like: TensorMap): TensorMap {
  return new Map([...like.values()].map((t) => [t.name, { ...t, data: new Float32Array(t.data.length) }]));
}

/**
 * The default block: in the largest tensor whose null drift is not zero over it, SPIKE_IN_BLOCK_FRACTION of
 * the model's parameters (≥ 8) at a seeded offset. A block where nulls never move would have σ = 0.
 */
export function defaultSpikeInBlock(nullDeltas: readonly TensorMap[], seed: number): PlantedBlock {
  const first = nullDeltas[0];
  if (first === undefined)
    throw new DeltascopeError('INVALID_SPEC', 'spike-in calibration needs at least one null control');
  const tensors = [...first.values()];
  const parameters = tensors.reduce((sum, t) => sum + t.data.length, 0);
  const wanted = Math.max(MIN_BLOCK, Math.ceil(SPIKE_IN_BLOCK_FRACTION * parameters));
  const rng = createRng(seed, SIGN_STREAM + 1);
  const bySize = tensors.filter((t) => t.data.length >= wanted).sort((a, b) => b.data.length - a.data.length);
  for (const tensor of bySize) {
    for (let attempt = 0; attempt < 16; attempt++) {
      const start = rng.int(tensor.data.length - wanted + 1);
      const block = { tensor: tensor.name, start, length: wanted };
      if (nullDriftSd(nullDeltas, block) > 0) return block;
    }
  }
  throw new DeltascopeError(
    'INVALID_SPEC',
    `spike-in: no tensor of ≥ ${wanted} elements has a block the null controls moved; train the nulls longer`,
  );
}

export function spikeInCalibration(
  input: SpikeInInput,
  stages: SpikeInStages = DEFAULT_SPIKE_IN_STAGES,
): SpikeInData {
  if (input.rbDeltas.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'spike-in calibration needs at least one RB delta');
  const block = input.block;
  const sd = nullDriftSd(
    input.nullDeltas.map((d) => d.map),
    block,
  );
  if (!(sd > 0)) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `spike-in: the null controls did not move block [${block.start}, +${block.length}) of \`${block.tensor}\`; choose a block they move`,
    );
  }
  const passPrecision = input.passPrecision ?? SPIKE_IN_PASS_PRECISION;
  const planted = [...(input.snrs ?? DEFAULT_SPIKE_IN_SNRS)].filter((x) => x > 0).sort((a, b) => b - a);
  if (planted.length === 0) throw new DeltascopeError('INVALID_SPEC', 'spike-in: no SNR above 0');
  const snrs = [...planted, 0];
  // The pass is judged at SPIKE_IN_PASS_SNR, or at the largest SNR when every SNR is below it.
  const passSnr = Math.max(Math.min(SPIKE_IN_PASS_SNR, planted[0]!), planted.at(-1)!);
  const atPass = planted.findIndex((x) => x <= passSnr);
  const rng = createRng(input.seed, SIGN_STREAM);
  const signs = Float32Array.from({ length: block.length }, () => (rng.int(2) === 0 ? -1 : 1));
  const parameters = [...input.rbDeltas[0]!.map.values()].reduce((sum, t) => sum + t.data.length, 0);
  const rows = input.aggregators.map((aggregator) => {
    const precision = snrs.map((snr) => {
      const values = signs.map((s) => s * snr * sd);
      const spiked = input.rbDeltas.map((d) => ({ ...d, map: stages.plant(d.map, block, values) }));
      return stages.score(stages.aggregate(aggregator, spiked, input), block);
    });
    const seen = planted.filter((_, i) => precision[i]! >= passPrecision);
    const blind = precision[snrs.length - 1]! < passPrecision;
    const detectionSnr = seen.length === 0 ? null : Math.min(...seen);
    return {
      aggregator,
      precision,
      detectionSnr,
      pass: detectionSnr !== null && detectionSnr <= passSnr && blind,
    };
  });
  const falsePositive = rows.filter((r) => r.precision[snrs.length - 1]! >= passPrecision);
  const pass = rows.some((r) => r.pass) && falsePositive.length === 0;
  const verdict = pass
    ? `${rows
        .filter((r) => r.pass)
        .map((r) => `${r.aggregator} (down to SNR ${r.detectionSnr})`)
        .join(
          ', ',
        )} found the planted block at SNR ${passSnr} or below (precision@k ≥ ${passPrecision}); none found it without a plant`
    : falsePositive.length > 0
      ? `${falsePositive.map((r) => r.aggregator).join(', ')} "found" the block with nothing planted: the block is where the deltas already are, so the check cannot tell`
      : `no aggregator reached precision@k ${passPrecision} at SNR ${passSnr} (best ${Math.max(...rows.map((r) => r.precision[atPass]!)).toFixed(2)}; chance ${(block.length / parameters).toPrecision(2)})`;
  return {
    format: SPIKE_IN_FORMAT,
    seed: input.seed,
    base: input.baseCheckpointId,
    rbInputs: input.rbDeltas.map((d) => d.checkpointId),
    nullInputs: input.nullDeltas.map((d) => d.checkpointId),
    block,
    nullSd: sd,
    k: block.length,
    parameters,
    chance: block.length / parameters,
    passPrecision,
    passSnr,
    snrs,
    aggregators: rows,
    pass,
    verdict,
  };
}
