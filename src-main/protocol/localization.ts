import { createRng } from '../shared/random';
import { BOOTSTRAP_STREAM, bootstrapMeanCi, quantileSorted, type Interval } from '../engine/stats';
import type { EvaluationResult } from '../shared/contract-evaluation';
import type { LocalizationData } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import { LOCALIZATION_FORMAT } from '../shared/protocol-artifacts';
import { kthLargestAbs, kthSmallestAbs, type NamedTensor, type TensorMap } from '../weights';
import type { MaskSelection } from './job-graph';
import { localizationControls } from './localization-controls';
import { pairedDifference } from './negation';

/**
 * The localization test: if the relevance map locates the objective, fine-tuning MA on a held-out
 * reward RB_new with only the map's top-k % parameters trainable should recover more of a full
 * fine-tune's gain than a random or the bottom k %. fraction = (x̄_mask − x̄_MA) / (x̄_full − x̄_MA) on
 * RB_new's return, with a paired bootstrap over the shared held-out episodes.
 */

export { LOCALIZATION_FORMAT };

/** Random-stream id of the random-k % mask draws. */
const MASK_STREAM = 0x4d41;

/** k = ⌈kPercent/100 · N⌉ elements, at least 1. */
export function maskSize(total: number, kPercent: number): number {
  return Math.min(total, Math.max(1, Math.ceil((kPercent / 100) * total)));
}

/** How the movable set of a localization mask is defined; the stored rule names its fine-tunes. */
export const MOVABLE_RULE = 'non-zero Δ from MA in at least one fine-tune of the replication';

/** How the movable set is defined since the gradient node: the RB_new objective's own gradient at MA. */
export const GRADIENT_MOVABLE_RULE =
  'non-zero gradient (or diagonal Fisher) of the RB_new PPO objective at MA over one batch of rollouts';

/** 1 where any of `maps` is non-zero (finite), per tensor of the first map. */
export function nonZeroSet(maps: readonly TensorMap[]): Map<string, Uint8Array> {
  const first = maps[0];
  if (first === undefined) throw new DeltascopeError('INVALID_SPEC', 'nonZeroSet needs at least one map');
  const out = new Map<string, Uint8Array>();
  for (const t of first.values()) {
    const flags = new Uint8Array(t.data.length);
    for (const map of maps) {
      const other = map.get(t.name);
      if (other === undefined || other.data.length !== t.data.length) {
        throw new DeltascopeError('SHAPE_MISMATCH', `nonZeroSet: the maps differ on tensor \`${t.name}\``);
      }
      for (let i = 0; i < flags.length; i++)
        if (other.data[i] !== 0 && Number.isFinite(other.data[i])) flags[i] = 1;
    }
    out.set(t.name, flags);
  }
  return out;
}

/** The stored rule: MOVABLE_RULE and the node ids of the fine-tunes it was measured on. */
export function movableRuleOf(sources: readonly string[]): string {
  return `${MOVABLE_RULE} (${sources.join(', ')})`;
}

/**
 * The parameters that can move: 1 where at least one fine-tune of the replication changed the
 * parameter from MA (Δ ≠ 0), 0 where every fine-tune left it bit-identical (e.g. first-layer rows of
 * inputs that never vary: their gradient is 0 whatever the reward). The protocol passes the RB
 * fine-tunes, the null controls and the full fine-tune on RB_new: a parameter the RB_new fine-tune moved
 * had a non-zero gradient of the RB_new objective along its path from MA. This is the Δ-based
 * definition, not the gradient at MA itself (which would need rollouts in the mask node).
 */
export function movableSet(
  base: TensorMap,
  tuned: readonly TensorMap[],
): { movable: Map<string, Uint8Array>; count: number; total: number } {
  const movable = new Map<string, Uint8Array>();
  let count = 0;
  let total = 0;
  for (const t of base.values()) {
    const flags = new Uint8Array(t.data.length);
    for (const [j, map] of tuned.entries()) {
      const other = map.get(t.name);
      if (other === undefined || other.data.length !== t.data.length) {
        throw new DeltascopeError(
          'SHAPE_MISMATCH',
          `movable set: fine-tune ${j} has ${other === undefined ? 'no' : `${other.data.length} elements in`} tensor \`${t.name}\` (MA has ${t.data.length})`,
        );
      }
      for (let i = 0; i < flags.length; i++) if (other.data[i] !== t.data[i]) flags[i] = 1;
    }
    for (const f of flags) count += f;
    total += flags.length;
    movable.set(t.name, flags);
  }
  return { movable, count, total };
}

/**
 * A 0/1 mask over the whole map choosing k elements among the candidates (every element, or only the
 * movable ones when `movable` is given, k a fraction of the movable count): 'top' the k largest |m|
 * (ties at the threshold taken in map order), 'bottom' the k smallest, 'random' k drawn uniformly
 * without replacement. `movable` = how many were candidates.
 */
export function relevanceMask(
  map: TensorMap,
  selection: MaskSelection,
  kPercent: number,
  seed: number,
  movable?: ReadonlyMap<string, Uint8Array>,
): { masks: NamedTensor[]; selected: number; total: number; movable: number } {
  const tensors = [...map.values()];
  const total = tensors.reduce((sum, t) => sum + t.data.length, 0);
  if (total === 0) throw new DeltascopeError('INVALID_SPEC', 'relevanceMask: the map has no parameters');
  const candidates: number[] = [];
  const allValues: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const flags = movable?.get(t.name);
    if (movable !== undefined && (flags === undefined || flags.length !== t.data.length)) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `relevanceMask: the movable set has no ${t.data.length}-element tensor \`${t.name}\``,
      );
    }
    for (let i = 0; i < t.data.length; i++) {
      if (flags !== undefined && flags[i] === 0) continue;
      candidates.push(offset + i);
      allValues.push(Number.isFinite(t.data[i]) ? Math.abs(t.data[i]!) : 0);
    }
    offset += t.data.length;
  }
  if (candidates.length === 0) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `relevanceMask: no parameter is movable (${MOVABLE_RULE}): the fine-tunes changed nothing`,
    );
  }
  const n = candidates.length;
  const k = maskSize(n, kPercent);
  const values = Float32Array.from(allValues);
  const chosen = new Uint8Array(total);
  if (selection === 'random') {
    const rng = createRng(seed, MASK_STREAM);
    const order = Uint32Array.from(candidates);
    for (let i = 0; i < k; i++) {
      const j = i + rng.int(n - i);
      const swap = order[i]!;
      order[i] = order[j]!;
      order[j] = swap;
      chosen[order[i]!] = 1;
    }
  } else {
    const top = selection === 'top';
    const threshold = top ? kthLargestAbs(values, k) : kthSmallestAbs(values, k);
    let picked = 0;
    for (let c = 0; c < n; c++) {
      if (top ? values[c]! > threshold : values[c]! < threshold) {
        chosen[candidates[c]!] = 1;
        picked += 1;
      }
    }
    for (let c = 0; c < n && picked < k; c++) {
      if (chosen[candidates[c]!] === 0 && values[c] === threshold) {
        chosen[candidates[c]!] = 1;
        picked += 1;
      }
    }
  }
  offset = 0;
  const masks = tensors.map((t) => {
    const data = Float32Array.from(chosen.subarray(offset, offset + t.data.length));
    offset += t.data.length;
    return { name: t.name, shape: [...t.shape], data };
  });
  return { masks, selected: k, total, movable: n };
}

export interface Sampling {
  confidence: number;
  bootstrapResamples: number;
  seed: number;
}

/**
 * Paired bootstrap of (x̄ − z̄)/(ȳ − z̄) over shared episodes: the same resampled indices for x, y, z;
 * the interval is over resamples with a non-zero denominator; null when the sample's denominator is 0.
 */
export function fractionRecoveredCi(
  x: readonly number[],
  y: readonly number[],
  z: readonly number[],
  s: Sampling,
): Interval | null {
  const n = x.length;
  if (y.length !== n || z.length !== n || n === 0) {
    throw new DeltascopeError(
      'SHAPE_MISMATCH',
      `fraction recovered needs three evaluations of the same episodes; got ${x.length}, ${y.length}, ${z.length}`,
    );
  }
  const meanOf = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / n;
  const denominator = meanOf(y) - meanOf(z);
  if (denominator === 0) return null;
  const rng = createRng(s.seed, BOOTSTRAP_STREAM);
  const ratios: number[] = [];
  for (let b = 0; b < s.bootstrapResamples; b++) {
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      sx += x[j]!;
      sy += y[j]!;
      sz += z[j]!;
    }
    if (sy !== sz) ratios.push((sx - sz) / (sy - sz));
  }
  const estimate = (meanOf(x) - meanOf(z)) / denominator;
  if (ratios.length === 0) return { estimate, low: estimate, high: estimate };
  ratios.sort((a, b) => a - b);
  const tail = (1 - s.confidence) / 2;
  return { estimate, low: quantileSorted(ratios, tail), high: quantileSorted(ratios, 1 - tail) };
}

export interface LocalizationInput {
  seed: number;
  rbNew: string;
  aggregator: string;
  base: { checkpointId: number; result: EvaluationResult };
  full: { checkpointId: number; result: EvaluationResult };
  masked: {
    selection: MaskSelection;
    kPercent: number;
    selected: number;
    total: number;
    /** Movable candidates (absent for masks made before the movable restriction). */
    movable?: number | undefined;
    movableRule?: string | undefined;
    /** Random masks: the draw (absent before M draws). */
    draw?: number | undefined;
    maskArtifactId: number;
    checkpointId: number;
    result: EvaluationResult;
  }[];
  confidence: number;
  bootstrapResamples: number;
}

/** The stored table (one schema: LocalizationDataSchema of shared/contract-protocol.ts). */
export type LocalizationTable = LocalizationData;

function returnsOf(result: EvaluationResult, reward: string): number[] {
  const returns = result.perEpisode.returns[reward];
  if (returns === undefined)
    throw new DeltascopeError('INVALID_SPEC', `the evaluation has no reward "${reward}"`);
  return returns;
}

export function localizationTable(input: LocalizationInput): LocalizationTable {
  const s: Sampling = {
    confidence: input.confidence,
    bootstrapResamples: input.bootstrapResamples,
    seed: input.seed,
  };
  const boot = { resamples: s.bootstrapResamples, confidence: s.confidence, seed: s.seed };
  const base = returnsOf(input.base.result, input.rbNew);
  const full = returnsOf(input.full.result, input.rbNew);
  const movableRule = input.masked.find((m) => m.movableRule !== undefined)?.movableRule;
  const ks = [...new Set(input.masked.map((m) => m.kPercent))].sort((a, b) => a - b);
  const controls = ks.flatMap((kPercent) => {
    const of = (selection: MaskSelection) =>
      input.masked.filter((m) => m.kPercent === kPercent && m.selection === selection);
    const top = of('top')[0];
    if (top === undefined) return [];
    const baselines = (['null-drift', 'saliency', 'fisher'] as const).flatMap((selection) =>
      of(selection).map((m) => ({ selection, returns: returnsOf(m.result, input.rbNew) })),
    );
    return [
      localizationControls(
        {
          kPercent,
          top: returnsOf(top.result, input.rbNew),
          random: of('random').map((m) => returnsOf(m.result, input.rbNew)),
          baselines,
        },
        s,
      ),
    ];
  });
  return {
    format: LOCALIZATION_FORMAT,
    seed: input.seed,
    rbNew: input.rbNew,
    aggregator: input.aggregator,
    ...(movableRule === undefined ? {} : { movableRule }),
    confidence: input.confidence,
    episodes: base.length,
    base: { checkpointId: input.base.checkpointId, rbNewReturn: bootstrapMeanCi(base, boot) },
    full: {
      checkpointId: input.full.checkpointId,
      rbNewReturn: bootstrapMeanCi(full, boot),
      gainOverBase: pairedDifference(full, base, s),
    },
    rows: input.masked.map((m) => {
      const x = returnsOf(m.result, input.rbNew);
      return {
        selection: m.selection,
        kPercent: m.kPercent,
        selected: m.selected,
        total: m.total,
        ...(m.movable === undefined ? {} : { movable: m.movable }),
        maskArtifactId: m.maskArtifactId,
        checkpointId: m.checkpointId,
        rbNewReturn: bootstrapMeanCi(x, boot),
        gainOverBase: pairedDifference(x, base, s),
        fractionOfFull: fractionRecoveredCi(x, full, base, s),
        ...(m.draw === undefined ? {} : { draw: m.draw }),
      };
    }),
    randomNull: controls.flatMap((c) => (c.randomNull === null ? [] : [c.randomNull])),
    paired: controls.flatMap((c) => c.paired),
  };
}
