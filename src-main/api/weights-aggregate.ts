import { z } from 'zod';
import {
  RELEVANCE_MAP_ARTIFACT_KIND,
  RelevanceMapSummarySchema,
  type AggregatorSpecPayload,
  type RelevanceMapSummary,
} from '../shared/contract-weights';
import type { TensorEntry } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import type { ArtifactSummary, DeltascopeDb } from '../store';
import {
  aggregateTensor,
  aggregationRecipe,
  assertMatchingTensors,
  combineArrays,
  type AggregatorSpec,
  type TensorMap,
} from '../weights';

/**
 * weights.aggregate: folds Δᵢ = θᵢ − θ_base into one per-parameter relevance map, tensor by tensor
 * (only one tensor's deltas exist at a time), and stores it as an artifact of kind "relevance-map":
 * recipe = how to recompute it, manifest = the summary plus where each tensor sits in `data`,
 * data = the map as little-endian float32.
 */

export interface AggregateParams {
  base: number;
  deltas: number[];
  aggregator: AggregatorSpecPayload;
  nullDelta?: number | undefined;
  name?: string | undefined;
}

const FLOAT32_BYTES = 4;
const EMPTY = new Float32Array(0);

/** Per-tensor figures of a map m: Σ|m_t| / Σ|m|, max |m_t|, mean m_t. */
function tensorSummaries(outputs: { name: string; shape: number[]; data: Float32Array }[]) {
  const l1 = outputs.map(({ data }) => {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += Math.abs(data[i]!);
    return sum;
  });
  const totalL1 = l1.reduce((s, v) => s + v, 0);
  return outputs.map(({ name, shape, data }, t) => {
    let maxAbs = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      sum += v;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
    }
    return {
      name,
      shape,
      massShare: totalL1 === 0 ? 0 : l1[t]! / totalL1,
      maxAbs,
      mean: data.length === 0 ? 0 : sum / data.length,
    };
  });
}

function checkSpec(params: AggregateParams): void {
  const spec = params.aggregator;
  if (spec.kind === 'null-normalized' && params.nullDelta === undefined) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      'The null-normalized aggregator needs `nullDelta`: a null-control checkpoint fine-tuned from the base on the same reward.',
    );
  }
  if (spec.kind === 'variance-ratio' && spec.groups.length !== params.deltas.length) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `variance-ratio needs one group per delta: ${params.deltas.length} deltas but ${spec.groups.length} groups.`,
    );
  }
}

/** What an aggregation reads and how: validated, with the tensor names matched across every input. */
export interface AggregatePlan {
  params: AggregateParams;
  spec: AggregatorSpec;
  experimentId: number;
  /** Tensors to fold, in the base's order. */
  names: string[];
}

/** One tensor of a relevance map. */
export interface AggregateOutput {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Reads one tensor of one checkpoint (the store's readTensor, from any connection). */
export type ReadTensor = (checkpointId: number, name: string) => { shape: number[]; data: Float32Array };

/** Checks the spec and matches names and shapes from the manifests alone (no weights read). */
export function planAggregation(db: DeltascopeDb, params: AggregateParams): AggregatePlan {
  checkSpec(params);
  const baseCheckpoint = db.checkpoints.get(params.base);
  const experimentId = db.runs.get(baseCheckpoint.runId).experimentId;
  const shapeMap = (id: number): TensorMap =>
    new Map(
      db.checkpoints.get(id).tensors.map((t) => [t.name, { name: t.name, shape: t.shape, data: EMPTY }]),
    );
  const inputIds = params.nullDelta === undefined ? params.deltas : [...params.deltas, params.nullDelta];
  const labels = [`base checkpoint ${params.base}`, ...params.deltas.map((id) => `checkpoint ${id}`)];
  if (params.nullDelta !== undefined) labels.push(`null checkpoint ${params.nullDelta}`);
  const names = assertMatchingTensors([shapeMap(params.base), ...inputIds.map(shapeMap)], labels);
  return { params, spec: params.aggregator as AggregatorSpec, experimentId, names };
}

/** Parameters an aggregation folds (elements of the base's matched tensors). */
export function aggregationSize(db: DeltascopeDb, plan: AggregatePlan): number {
  const wanted = new Set(plan.names);
  return db.checkpoints
    .get(plan.params.base)
    .tensors.filter((t) => wanted.has(t.name))
    .reduce((sum, t) => sum + t.shape.reduce((n, d) => n * d, 1), 0);
}

/**
 * m_t = aggregate(θᵢ,t − θ_base,t) for each tensor t, streaming: only one tensor of the base and of
 * every input is read at a time. Calls `onTensor(done, total)` after each tensor.
 */
export function computeAggregation(
  read: ReadTensor,
  plan: Pick<AggregatePlan, 'params' | 'spec' | 'names'>,
  onTensor?: (done: number, total: number) => void,
): AggregateOutput[] {
  const { params, spec, names } = plan;
  return names.map((name, t) => {
    const b = read(params.base, name);
    const deltaOf = (id: number) => combineArrays([1, -1], [read(id, name).data, b.data]);
    const data = aggregateTensor(spec, {
      name,
      deltas: params.deltas.map(deltaOf),
      ...(params.nullDelta === undefined ? {} : { nullDelta: deltaOf(params.nullDelta) }),
    });
    onTensor?.(t + 1, names.length);
    return { name, shape: [...b.shape], data };
  });
}

/** Stores a computed map as a "relevance-map" artifact (one write) and returns its summary. */
export function storeAggregation(
  db: DeltascopeDb,
  plan: AggregatePlan,
  outputs: readonly AggregateOutput[],
): RelevanceMapSummary {
  const { params, spec, experimentId } = plan;
  const paramCount = outputs.reduce((sum, o) => sum + o.data.length, 0);
  const bytes = new Uint8Array(paramCount * FLOAT32_BYTES);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const { name, shape, data } of outputs) {
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    entries.push({ name, shape, dtype: 'float32', byteOffset: offset, byteLength: data.byteLength });
    offset += data.byteLength;
  }
  const recipe = { ...aggregationRecipe(spec, params.deltas, params.nullDelta), base: params.base };
  const tensors = tensorSummaries([...outputs]);
  const name =
    params.name ??
    `${spec.kind} of ${params.deltas.length} delta${params.deltas.length === 1 ? '' : 's'} over #${params.base}`;
  const { id } = db.artifacts.put({
    experimentId,
    kind: RELEVANCE_MAP_ARTIFACT_KIND,
    name,
    recipe,
    manifest: { tensors, entries, paramCount },
    data: bytes,
  });
  const stored = db.artifacts.list(experimentId).find((a) => a.id === id)!;
  return toRelevanceSummary(stored);
}

/** The whole aggregation inline, on the calling thread. */
export function aggregateCheckpoints(db: DeltascopeDb, params: AggregateParams): RelevanceMapSummary {
  const plan = planAggregation(db, params);
  const read: ReadTensor = (id, name) => db.checkpoints.readTensor(id, name);
  return storeAggregation(db, plan, computeAggregation(read, plan));
}

const StoredManifestSchema = z.object({
  tensors: RelevanceMapSummarySchema.shape.tensors,
  paramCount: z.number().int(),
});

/** The summary of a stored relevance map; DATABASE_CORRUPT if its recipe or manifest does not parse. */
export function toRelevanceSummary(artifact: ArtifactSummary): RelevanceMapSummary {
  const recipe = RelevanceMapSummarySchema.shape.recipe.safeParse(artifact.recipe);
  const manifest = StoredManifestSchema.safeParse(artifact.manifest);
  if (!recipe.success || !manifest.success) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      `Relevance map artifact ${artifact.id} ("${artifact.name}") has an unreadable recipe or manifest.`,
      { artifactId: artifact.id },
    );
  }
  return {
    artifactId: artifact.id,
    experimentId: artifact.experimentId,
    name: artifact.name,
    recipe: recipe.data,
    tensors: manifest.data.tensors,
    paramCount: manifest.data.paramCount,
    createdAt: artifact.createdAt,
  };
}

export function listRelevanceMaps(db: DeltascopeDb): RelevanceMapSummary[] {
  return db.artifacts
    .list()
    .filter((a) => a.kind === RELEVANCE_MAP_ARTIFACT_KIND)
    .map(toRelevanceSummary);
}
