import type { ArtifactContent, RelevanceMapRecipe, RelevanceTensorSummary } from './artifact-schemas';
import type { TensorEntry } from './domain';

/**
 * The content of a "relevance-map" artifact from its tensors, for every writer (weights.aggregate,
 * the protocol's superposition node) and for store migration 002, which summarises maps written
 * without a summary.
 */

const FLOAT32_BYTES = 4;

export interface RelevanceTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** Per-tensor figures of a map m: massShare = Σ|mₜ| / Σ|m| (0 for an all-zero map), max |mₜ|, mean mₜ. */
export function summarizeRelevanceTensors(tensors: readonly RelevanceTensor[]): RelevanceTensorSummary[] {
  const l1 = tensors.map(({ data }) => {
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum += Math.abs(data[i]!);
    return sum;
  });
  const totalL1 = l1.reduce((s, v) => s + v, 0);
  return tensors.map(({ name, shape, data }, t) => {
    let maxAbs = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      sum += v;
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
    }
    return {
      name,
      shape: [...shape],
      massShare: totalL1 === 0 ? 0 : l1[t]! / totalL1,
      maxAbs,
      mean: data.length === 0 ? 0 : sum / data.length,
    };
  });
}

/** The map's tensors back to back as float32, with where each sits and its summary. */
export function relevanceMapContent(
  recipe: RelevanceMapRecipe,
  tensors: readonly RelevanceTensor[],
): ArtifactContent<'relevance-map'> {
  const paramCount = tensors.reduce((sum, t) => sum + t.data.length, 0);
  const data = new Float32Array(paramCount);
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const { name, shape, data: values } of tensors) {
    data.set(values, offset);
    entries.push({
      name,
      shape: [...shape],
      dtype: 'float32',
      byteOffset: offset * FLOAT32_BYTES,
      byteLength: values.length * FLOAT32_BYTES,
    });
    offset += values.length;
  }
  return {
    recipe,
    manifest: { tensors: summarizeRelevanceTensors(tensors), entries, paramCount },
    data,
  };
}

/** The tensors of a decoded map, as views into its data. */
export function relevanceMapTensors(content: ArtifactContent<'relevance-map'>): RelevanceTensor[] {
  return content.manifest.entries.map((entry) => ({
    name: entry.name,
    shape: entry.shape,
    data: content.data.subarray(
      entry.byteOffset / FLOAT32_BYTES,
      (entry.byteOffset + entry.byteLength) / FLOAT32_BYTES,
    ),
  }));
}
