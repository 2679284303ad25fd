import { summarizeRelevanceTensors } from '../../shared/relevance-map-content';

/**
 * Artifacts as Deltascope wrote them before artifact schema versions (v1), rewritten into v2
 * (shared/artifact-schemas.ts). Pure: the migration reads the rows and writes back what these return.
 * Only what differs is converted; every other kind is already in its v2 shape.
 *
 * - evaluation: `recipe.setup.net` is the network's spec (eval.run stored the resolved network with
 *   obsShape and numActions; keep kind, hidden, channels, denseWidth); the manifest gains its format.
 * - relevance-map written by the protocol: recipe `{ protocol, nodeId, analysis, deps, aggregation }`
 *   becomes the Aggregate dialog's `{ aggregator, params, base, inputs }` plus `protocol`, and the
 *   manifest (a bare tensor list) gains the per-tensor summary computed from the data.
 * - trainable-mask: a recipe of no known shape is kept as its JSON text under `description`.
 */

export interface V1Row {
  id: number;
  kind: string;
  recipe: unknown;
  manifest: unknown;
}

export interface V2Update {
  recipe: unknown;
  manifest: unknown;
}

type Json = Record<string, unknown>;

const FLOAT32_BYTES = 4;
const EVALUATION_FORMAT = 'deltascope.evaluation/1';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function upgradeEvaluation(row: V1Row): V2Update {
  const recipe = isObject(row.recipe) ? { ...row.recipe } : row.recipe;
  if (isObject(recipe) && isObject(recipe.setup) && isObject(recipe.setup.net)) {
    const { kind, hidden, channels, denseWidth } = recipe.setup.net;
    recipe.setup = { ...recipe.setup, net: { kind, hidden, channels, denseWidth } };
  }
  const manifest = isObject(row.manifest) ? { ...row.manifest, format: EVALUATION_FORMAT } : row.manifest;
  return { recipe, manifest };
}

/** Reads a float32 BLOB (any alignment) as numbers. */
function floatsOf(data: Uint8Array): Float32Array {
  const copy = new Uint8Array(data.byteLength - (data.byteLength % FLOAT32_BYTES));
  copy.set(data.subarray(0, copy.byteLength));
  return new Float32Array(copy.buffer);
}

interface Entry {
  name: string;
  shape: number[];
  byteOffset: number;
  byteLength: number;
}

function isEntryList(value: unknown): value is Entry[] {
  return (
    Array.isArray(value) &&
    value.every(
      (e) =>
        isObject(e) &&
        typeof e.name === 'string' &&
        Array.isArray(e.shape) &&
        typeof e.byteOffset === 'number' &&
        typeof e.byteLength === 'number',
    )
  );
}

/**
 * A protocol-written map: `baseOf(experimentId, nodeId)` is the checkpoint the superposition node took
 * its deltas from (null when it cannot be found; the recipe then stays without `base` and the
 * artifact decodes as unreadable, naming `recipe.base`).
 */
function upgradeProtocolMap(
  row: V1Row & { recipe: Json },
  data: Uint8Array | null,
  baseOf: (experimentId: number, nodeId: string) => number | null,
): V2Update {
  const { protocol, nodeId, aggregation } = row.recipe;
  const agg = isObject(aggregation) ? aggregation : {};
  const params = isObject(agg.params) ? agg.params : agg.groups !== undefined ? { groups: agg.groups } : {};
  const base = typeof protocol === 'number' && typeof nodeId === 'string' ? baseOf(protocol, nodeId) : null;
  const recipe = {
    aggregator: agg.aggregator,
    params,
    ...(base === null ? {} : { base }),
    inputs: agg.inputs,
    protocol: { experimentId: protocol, nodeId },
  };
  if (!isEntryList(row.manifest) || data === null) return { recipe, manifest: row.manifest };
  const floats = floatsOf(data);
  const tensors = row.manifest.map((entry) => ({
    name: entry.name,
    shape: entry.shape,
    data: floats.subarray(
      entry.byteOffset / FLOAT32_BYTES,
      (entry.byteOffset + entry.byteLength) / FLOAT32_BYTES,
    ),
  }));
  const paramCount = tensors.reduce((sum, t) => sum + t.data.length, 0);
  return {
    recipe,
    manifest: { tensors: summarizeRelevanceTensors(tensors), entries: row.manifest, paramCount },
  };
}

function isKnownMaskRecipe(recipe: unknown): boolean {
  if (!isObject(recipe)) return false;
  const keys = Object.keys(recipe);
  if (keys.length === 0) return true;
  if (keys.every((k) => k === 'description')) return true;
  if ('tensor' in recipe && keys.length === 3) return true;
  return recipe.kind === 'relevance-mask';
}

/**
 * The v2 recipe and manifest of a v1 row. `readData` loads the row's BLOB (only protocol maps need it).
 */
export function upgradeArtifactV1(
  row: V1Row,
  readData: () => Uint8Array | null,
  baseOf: (experimentId: number, nodeId: string) => number | null,
): V2Update {
  switch (row.kind) {
    case 'evaluation':
      return upgradeEvaluation(row);
    case 'relevance-map':
      if (isObject(row.recipe) && 'aggregation' in row.recipe) {
        return upgradeProtocolMap({ ...row, recipe: row.recipe }, readData(), baseOf);
      }
      return { recipe: row.recipe, manifest: row.manifest };
    case 'trainable-mask':
      return isKnownMaskRecipe(row.recipe)
        ? { recipe: row.recipe, manifest: row.manifest }
        : { recipe: { description: JSON.stringify(row.recipe) }, manifest: row.manifest };
    default:
      return { recipe: row.recipe, manifest: row.manifest };
  }
}
