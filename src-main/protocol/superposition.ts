import type { z } from 'zod';
import type { AggregatorChoice } from '../shared/experiment-spec';
import type { KnownAnswerData, TensorConcentrationSchema } from '../shared/contract-protocol';
import { DeltascopeError } from '../shared/errors';
import { KNOWN_ANSWER_FORMAT, SUPERPOSITION_FORMAT } from '../shared/protocol-artifacts';
import {
  aggregateDeltas,
  assertMatchingTensors,
  linearCombination,
  mapTensorData,
  type AggregationRecipe,
  type AggregatorSpec,
  type TensorMap,
} from '../weights';

/**
 * Superposition of one replication: the RB deltas Δᵢ = MBᵢ − MA folded by each aggregator into a
 * relevance map m; per tensor t, concentration = share of the map's mass, massₜ = Σ|mₜ| / Σ|m|, next to
 * the null-drift map's share (mean |Δ_null| over the null controls) and the tensor's share of the
 * parameters. A map that merely tracks size has share ≈ sizeShare; one that tracks ordinary training
 * drift has share ≈ nullShare.
 */

export { SUPERPOSITION_FORMAT };

/** Per tensor: count, count / total parameters (sizeShare), Σ|mₜ| / Σ|m| (share; 0 for an all-zero map), mean |m|. */
export type TensorConcentration = z.output<typeof TensorConcentrationSchema>;

export interface RelevanceMapResult {
  aggregator: AggregatorChoice;
  recipe: AggregationRecipe;
  map: TensorMap;
  concentration: TensorConcentration[];
}

export interface SuperpositionInput {
  seed: number;
  base: TensorMap;
  rbDeltas: { label: string; checkpointId: number; map: TensorMap }[];
  nullDeltas: { label: string; checkpointId: number; map: TensorMap }[];
  aggregators: readonly AggregatorChoice[];
  tiesDensity: number;
  dareDropProbability: number;
}

export interface SuperpositionResult {
  seed: number;
  maps: RelevanceMapResult[];
  /** mean |Δ_null| over the null controls, or null without null controls. */
  nullMap: { map: TensorMap; concentration: TensorConcentration[] } | null;
}

/** Δ = B − A for every delta input (the fine-tuned maps arrive whole). */
export function deltaOf(base: TensorMap, tuned: TensorMap): TensorMap {
  return linearCombination([
    { coefficient: 1, map: tuned, label: 'the fine-tuned checkpoint' },
    { coefficient: -1, map: base, label: 'MA' },
  ]);
}

/** massₜ = Σ|mₜ|; share = massₜ / Σₜ massₜ (0 when the map is all zero). */
export function concentrationOf(map: TensorMap): TensorConcentration[] {
  const rows = [...map.values()].map((tensor) => {
    let mass = 0;
    for (let i = 0; i < tensor.data.length; i++) mass += Math.abs(tensor.data[i]!);
    return { tensor: tensor.name, count: tensor.data.length, mass };
  });
  const totalMass = rows.reduce((sum, row) => sum + row.mass, 0);
  const totalCount = rows.reduce((sum, row) => sum + row.count, 0);
  return rows.map((row) => ({
    tensor: row.tensor,
    count: row.count,
    sizeShare: totalCount === 0 ? 0 : row.count / totalCount,
    share: totalMass === 0 ? 0 : row.mass / totalMass,
    meanAbs: row.count === 0 ? 0 : row.mass / row.count,
  }));
}

function aggregatorSpec(choice: AggregatorChoice, input: SuperpositionInput): AggregatorSpec {
  switch (choice) {
    case 'ties':
      return { kind: 'ties', density: input.tiesDensity };
    case 'dare':
      return { kind: 'dare', dropProbability: input.dareDropProbability, seed: input.seed };
    case 'null-normalized':
      return { kind: 'null-normalized' };
    default:
      return { kind: choice };
  }
}

/** |x| per element, as a new map (relevance is about magnitude; signed aggregates keep their sign in `recipe`). */
function absMap(map: TensorMap): TensorMap {
  return mapTensorData(map, (tensor) => tensor.data.map(Math.abs));
}

/** Null-drift map: mean over null controls of |Δ_null|. */
function nullDriftMap(nullDeltas: readonly TensorMap[]): TensorMap {
  return aggregateDeltas({ kind: 'mean-abs' }, nullDeltas).map;
}

export function superpose(input: SuperpositionInput): SuperpositionResult {
  if (input.rbDeltas.length === 0)
    throw new DeltascopeError('INVALID_SPEC', 'superposition needs at least one RB delta');
  assertMatchingTensors(
    [input.base, ...input.rbDeltas.map((d) => d.map), ...input.nullDeltas.map((d) => d.map)],
    ['MA', ...input.rbDeltas.map((d) => d.label), ...input.nullDeltas.map((d) => d.label)],
  );
  const rbMaps = input.rbDeltas.map((d) => d.map);
  const inputs = input.rbDeltas.map((d) => d.checkpointId);
  const maps = input.aggregators.map((choice): RelevanceMapResult => {
    // null-normalized divides by every null control's per-parameter scale (RMS, or SD with ≥ 3), never their signed mean.
    if (choice === 'null-normalized' && input.nullDeltas.length === 0) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        'the null-normalized aggregator needs at least one null control',
      );
    }
    const { map, recipe } = aggregateDeltas(aggregatorSpec(choice, input), rbMaps, {
      inputs,
      labels: input.rbDeltas.map((d) => d.label),
      ...(choice === 'null-normalized'
        ? {
            nullDeltas: input.nullDeltas.map((d) => d.map),
            nullInputs: input.nullDeltas.map((d) => d.checkpointId),
          }
        : {}),
    });
    const relevance = absMap(map);
    return { aggregator: choice, recipe, map: relevance, concentration: concentrationOf(relevance) };
  });
  const nullMap = input.nullDeltas.length === 0 ? null : nullDriftMap(input.nullDeltas.map((d) => d.map));
  return {
    seed: input.seed,
    maps,
    nullMap: nullMap === null ? null : { map: nullMap, concentration: concentrationOf(nullMap) },
  };
}

/** Deltas of one objective: an RB's deltas, or the null controls (objective RA). */
export interface DeltaGroup {
  label: string;
  deltas: readonly TensorMap[];
}

/** The variance-ratio relevance map, or why it was not defined for these deltas. */
export type VarianceRatioResult =
  | {
      status: 'computed';
      groups: { label: string; size: number }[];
      map: TensorMap;
      concentration: TensorConcentration[];
    }
  | { status: 'skipped'; groups: { label: string; size: number }[]; reason: string };

/** Groups a replication's deltas by objective: one group per RB, the null controls as the RA group. */
export function objectiveGroups(
  rbDeltas: readonly { label: string; map: TensorMap }[],
  nullDeltas: readonly { map: TensorMap }[],
  raName: string,
): DeltaGroup[] {
  const byLabel = new Map<string, TensorMap[]>();
  for (const d of rbDeltas) byLabel.set(d.label, [...(byLabel.get(d.label) ?? []), d.map]);
  const groups = [...byLabel].map(([label, deltas]) => ({ label, deltas }));
  if (nullDeltas.length > 0) groups.push({ label: raName, deltas: nullDeltas.map((d) => d.map) });
  return groups;
}

/** Floor of the within-objective variance, so a parameter no delta moves gets ratio 0, not NaN. */
const VARIANCE_FLOOR = 1e-12;

/** Null controls (the RA group) the variance ratio needs. */
export const VARIANCE_RATIO_MIN_NULLS = 3;
/** Deltas every objective (each RB and RA) needs, so each contributes a within-objective variance. */
export const VARIANCE_RATIO_MIN_PER_OBJECTIVE = 2;

/**
 * Per parameter, F = [Σ_g n_g (x̄_g − x̄)² / (G − 1)] / [Σ_g Σ_i (x_gi − x̄_g)² / (N − G) + 1e-12].
 * Computed only with ≥ 2 objectives, ≥ VARIANCE_RATIO_MIN_NULLS null controls (the group named
 * `raName`) and ≥ VARIANCE_RATIO_MIN_PER_OBJECTIVE deltas of every objective; otherwise skipped with
 * the reason (with 1 within-objective degree of freedom F is noise on noise).
 */
export function varianceRatio(groups: readonly DeltaGroup[], raName: string): VarianceRatioResult {
  const sizes = groups.map((g) => ({ label: g.label, size: g.deltas.length }));
  const n = sizes.reduce((sum, g) => sum + g.size, 0);
  const g = groups.filter((group) => group.deltas.length > 0);
  const skipped = (reason: string): VarianceRatioResult => ({ status: 'skipped', groups: sizes, reason });
  if (g.length < 2) return skipped(`needs at least 2 objectives with deltas; has ${g.length}`);
  const nulls = groups.find((group) => group.label === raName)?.deltas.length ?? 0;
  if (nulls < VARIANCE_RATIO_MIN_NULLS) {
    return skipped(
      `needs ≥ ${VARIANCE_RATIO_MIN_NULLS} null controls (the ${raName} group) to estimate seed-to-seed ` +
        `variance; has ${nulls}`,
    );
  }
  const thin = sizes.filter((group) => group.size < VARIANCE_RATIO_MIN_PER_OBJECTIVE);
  if (thin.length > 0) {
    return skipped(
      `needs ≥ ${VARIANCE_RATIO_MIN_PER_OBJECTIVE} deltas of every objective (independent fine-tunes); ` +
        `${thin.map((t) => `${t.label} has ${t.size}`).join(', ')} — within-objective degrees of ` +
        `freedom would be ${n - g.length}`,
    );
  }
  const all = g.flatMap((group) => group.deltas);
  assertMatchingTensors(
    all,
    g.flatMap((group) => group.deltas.map((_, i) => `${group.label} delta ${i}`)),
  );
  const map = mapTensorData(all[0]!, (tensor) => {
    const out = new Float32Array(tensor.data.length);
    const datas = g.map((group) => group.deltas.map((d) => d.get(tensor.name)!.data));
    for (let j = 0; j < out.length; j++) {
      let grand = 0;
      const means = datas.map((members) => {
        let sum = 0;
        for (const data of members) sum += data[j]!;
        grand += sum;
        return sum / members.length;
      });
      grand /= n;
      let between = 0;
      let within = 0;
      datas.forEach((members, k) => {
        between += members.length * (means[k]! - grand) ** 2;
        for (const data of members) within += (data[j]! - means[k]!) ** 2;
      });
      out[j] = between / (g.length - 1) / (within / (n - g.length) + VARIANCE_FLOOR);
    }
    return out;
  });
  return { status: 'computed', groups: sizes, map, concentration: concentrationOf(map) };
}

export { KNOWN_ANSWER_FORMAT };

/** Per aggregator: the tensor of largest share, the planted tensor's share and rank (1 = top); pass when every one puts it first. */
export type KnownAnswerCheck = KnownAnswerData;

/** Where each map concentrates, against the tensor the fine-tunes were restricted to. */
export function knownAnswerCheck(
  seed: number,
  plantedTensor: string,
  maps: readonly { aggregator: string; concentration: readonly TensorConcentration[] }[],
): KnownAnswerCheck {
  const rows = maps.map((m) => {
    const sorted = [...m.concentration].sort((x, y) => y.share - x.share);
    const rank = sorted.findIndex((row) => row.tensor === plantedTensor) + 1;
    if (rank === 0) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `known-answer: the planted tensor \`${plantedTensor}\` is not in the map (has ${m.concentration.map((c) => c.tensor).join(', ')})`,
      );
    }
    const planted = sorted[rank - 1]!;
    return {
      aggregator: m.aggregator,
      topTensor: sorted[0]!.tensor,
      plantedShare: planted.share,
      plantedRank: rank,
      pass: rank === 1 && planted.share > 0,
    };
  });
  return {
    format: KNOWN_ANSWER_FORMAT,
    seed,
    plantedTensor,
    aggregators: rows,
    pass: rows.every((r) => r.pass),
  };
}
