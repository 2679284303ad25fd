import { DeltascopeError } from '../shared/errors';
import { dareMerge, type DareParams } from './aggregate-dare';
import {
  meanAbsOfDeltas,
  meanOfDeltas,
  medianOfDeltas,
  NULL_SCALE_FLOOR_FRACTION,
  nullNormalized,
  signAgreement,
  varianceRatio,
} from './aggregate-elementwise';

export { NULL_SCALE_FLOOR_FRACTION, NULL_SD_MINIMUM } from './aggregate-elementwise';
import { tiesMerge, type TiesParams } from './aggregate-ties';
import type { NamedTensor, TensorMap } from './tensor-map';
import { assertMatchingTensors, defaultLabels } from './tensor-match';

/** Every way to fold n deltas into one per-parameter map. Kinds are stable strings (saved in recipes). */
export type AggregatorSpec =
  | { kind: 'mean' }
  | { kind: 'median' }
  | { kind: 'mean-abs' }
  | { kind: 'sign-agreement' }
  | ({ kind: 'ties' } & TiesParams)
  | ({ kind: 'dare' } & DareParams)
  /** Needs ≥ 1 null delta. floorFraction default NULL_SCALE_FLOOR_FRACTION (see nullNormalized). */
  | { kind: 'null-normalized'; floorFraction?: number }
  /** `groups[i]` names the objective of delta i. ε default 1e-12. */
  | { kind: 'variance-ratio'; groups: (string | number)[]; epsilon?: number };

export type AggregatorKind = AggregatorSpec['kind'];

export const AGGREGATOR_KINDS: readonly AggregatorKind[] = [
  'mean',
  'median',
  'mean-abs',
  'sign-agreement',
  'ties',
  'dare',
  'null-normalized',
  'variance-ratio',
];

export const DEFAULT_VARIANCE_EPSILON = 1e-12;

/** JSON-able record of how an aggregate map was made, for the caller to save with it. */
export interface AggregationRecipe {
  aggregator: AggregatorKind;
  /** Every parameter, defaults filled in. */
  params: Record<string, unknown>;
  /** Checkpoint ids of the deltas, in order. */
  inputs: number[];
  /** null-normalized: checkpoint ids of the null controls whose deltas set the scale, in order. */
  nullInputs?: number[];
}

/** One tensor's worth of inputs. */
export interface TensorAggregationInput {
  /** Tensor name; seeds DARE's per-tensor stream. */
  name: string;
  deltas: readonly Float32Array[];
  /** Required by 'null-normalized': the null controls' deltas of this tensor (≥ 1). */
  nullDeltas?: readonly Float32Array[];
}

/** Aggregates one tensor; call per tensor to stream a model without holding every delta at once. */
export function aggregateTensor(spec: AggregatorSpec, input: TensorAggregationInput): Float32Array {
  const { deltas } = input;
  switch (spec.kind) {
    case 'mean':
      return meanOfDeltas(deltas);
    case 'median':
      return medianOfDeltas(deltas);
    case 'mean-abs':
      return meanAbsOfDeltas(deltas);
    case 'sign-agreement':
      return signAgreement(deltas);
    case 'ties':
      return tiesMerge(deltas, spec);
    case 'dare':
      return dareMerge(deltas, spec, input.name);
    case 'null-normalized':
      if (input.nullDeltas === undefined || input.nullDeltas.length === 0) {
        throw new DeltascopeError(
          'INVALID_SPEC',
          `null-normalized needs at least one null delta for tensor \`${input.name}\``,
        );
      }
      return nullNormalized(deltas, input.nullDeltas, spec.floorFraction ?? NULL_SCALE_FLOOR_FRACTION);
    case 'variance-ratio':
      return varianceRatio(deltas, spec.groups, spec.epsilon ?? DEFAULT_VARIANCE_EPSILON);
  }
}

/** The spec's parameters with defaults filled in. */
export function resolvedParams(spec: AggregatorSpec): Record<string, unknown> {
  switch (spec.kind) {
    case 'ties':
      return { density: spec.density, lambda: spec.lambda ?? 1, trim: 'per-tensor' };
    case 'dare':
      return { dropProbability: spec.dropProbability, seed: spec.seed, combine: spec.combine ?? 'mean' };
    case 'null-normalized':
      return {
        floorFraction: spec.floorFraction ?? NULL_SCALE_FLOOR_FRACTION,
        scale: 'per-parameter null RMS (SD with ≥ 3 nulls), floored at floorFraction × the tensor median',
      };
    case 'variance-ratio':
      return { groups: [...spec.groups], epsilon: spec.epsilon ?? DEFAULT_VARIANCE_EPSILON };
    default:
      return {};
  }
}

export function aggregationRecipe(
  spec: AggregatorSpec,
  inputs: readonly number[],
  nullInputs?: readonly number[],
): AggregationRecipe {
  return {
    aggregator: spec.kind,
    params: resolvedParams(spec),
    inputs: [...inputs],
    ...(nullInputs !== undefined && nullInputs.length > 0 ? { nullInputs: [...nullInputs] } : {}),
  };
}

export interface AggregateOptions {
  /** Checkpoint ids of the deltas (for the recipe). */
  inputs?: readonly number[];
  /** Names for messages; default A, B, C, … */
  labels?: readonly string[];
  /** The null controls' deltas for 'null-normalized', and their checkpoint ids. */
  nullDeltas?: readonly TensorMap[];
  nullInputs?: readonly number[];
}

/** Aggregates whole delta maps (all held in memory) tensor by tensor; SHAPE_MISMATCH if they differ. */
export function aggregateDeltas(
  spec: AggregatorSpec,
  deltas: readonly TensorMap[],
  options: AggregateOptions = {},
): { map: TensorMap; recipe: AggregationRecipe } {
  if (deltas.length === 0) throw new DeltascopeError('INVALID_SPEC', `${spec.kind} needs at least one delta`);
  const nulls = options.nullDeltas ?? [];
  const maps = [...deltas, ...nulls];
  const labels = options.labels ? [...options.labels] : defaultLabels(deltas.length);
  nulls.forEach((_, k) => labels.push(`null delta ${k}`));
  const names = assertMatchingTensors(maps, labels);
  const out = new Map<string, NamedTensor>();
  for (const name of names) {
    const first = deltas[0]!.get(name)!;
    const data = aggregateTensor(spec, {
      name,
      deltas: deltas.map((d) => d.get(name)!.data),
      ...(nulls.length === 0 ? {} : { nullDeltas: nulls.map((d) => d.get(name)!.data) }),
    });
    out.set(name, { name, shape: [...first.shape], data });
  }
  return { map: out, recipe: aggregationRecipe(spec, options.inputs ?? [], options.nullInputs) };
}
