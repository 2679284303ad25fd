import { decodeArtifactHead, decodeEach, encodeArtifact } from '../../shared/artifact-codec';
import {
  RELEVANCE_MAP_ARTIFACT_KIND,
  type AggregatorSpecPayload,
  type RelevanceMapListEntry,
  type RelevanceMapSummary,
} from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import { relevanceMapContent } from '../../shared/relevance-map-content';
import type { ArtifactSummary, DeltascopeDb } from '../../store';
import {
  aggregateTensor,
  aggregationRecipe,
  assertMatchingTensors,
  combineArrays,
  type AggregatorSpec,
  type TensorMap,
} from '../../weights';

/**
 * weights.aggregate: folds Δᵢ = θᵢ − θ_base into one per-parameter relevance map, tensor by tensor
 * (only one tensor's deltas exist at a time), and stores it as an artifact of kind "relevance-map"
 * (shared/artifact-schemas.ts; the protocol's superposition writes the same shape).
 */

export interface AggregateParams {
  base: number;
  deltas: number[];
  aggregator: AggregatorSpecPayload;
  nullDelta?: number | undefined;
  name?: string | undefined;
}

const EMPTY = new Float32Array(0);

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
      ...(params.nullDelta === undefined ? {} : { nullDeltas: [deltaOf(params.nullDelta)] }),
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
  const recipe = {
    ...aggregationRecipe(
      spec,
      params.deltas,
      params.nullDelta === undefined ? undefined : [params.nullDelta],
    ),
    base: params.base,
  };
  const name =
    params.name ??
    `${spec.kind} of ${params.deltas.length} delta${params.deltas.length === 1 ? '' : 's'} over #${params.base}`;
  const { id } = db.artifacts.put(
    encodeArtifact(RELEVANCE_MAP_ARTIFACT_KIND, { experimentId, name }, relevanceMapContent(recipe, outputs)),
  );
  return toRelevanceSummary(db.artifacts.summary(id));
}

/** The whole aggregation inline, on the calling thread. */
export function aggregateCheckpoints(db: DeltascopeDb, params: AggregateParams): RelevanceMapSummary {
  const plan = planAggregation(db, params);
  const read: ReadTensor = (id, name) => db.checkpoints.readTensor(id, name);
  return storeAggregation(db, plan, computeAggregation(read, plan));
}

/** The summary of a stored relevance map; DATABASE_CORRUPT naming the artifact and field if it does not decode. */
export function toRelevanceSummary(artifact: ArtifactSummary): RelevanceMapSummary {
  const { recipe, manifest } = decodeArtifactHead(RELEVANCE_MAP_ARTIFACT_KIND, artifact);
  return {
    artifactId: artifact.id,
    experimentId: artifact.experimentId,
    name: artifact.name,
    recipe,
    tensors: manifest.tensors,
    paramCount: manifest.paramCount,
    createdAt: artifact.createdAt,
  };
}

/** Every stored map, oldest first; one that does not decode is listed as unreadable with the reason. */
export function listRelevanceMaps(db: DeltascopeDb): RelevanceMapListEntry[] {
  const rows = db.artifacts.list().filter((a) => a.kind === RELEVANCE_MAP_ARTIFACT_KIND);
  return decodeEach(rows, toRelevanceSummary).map((result) => {
    if (result.ok) return result.value;
    const { row } = result;
    return {
      artifactId: row.id,
      experimentId: row.experimentId,
      kind: row.kind,
      name: row.name,
      createdAt: row.createdAt,
      unreadable: result.error.message,
    };
  });
}
