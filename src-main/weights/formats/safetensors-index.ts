import { invalidFile, isRecord, parseJson, shortValue } from './decode';

/**
 * `model.safetensors.index.json`, the index of a Hugging Face sharded checkpoint:
 * `{ "metadata"?: { "total_size": n, … }, "weight_map": { tensor name: shard file name } }`.
 * Shard names are relative to the index's folder; the reader keeps them inside it (checked-file.ts).
 */

export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

export interface SafetensorsIndex {
  /** Tensor name → shard file (relative to the folder), in the index's order. */
  weightMap: Map<string, string>;
  /** Shard files in first-mention order. */
  shards: string[];
  metadata: Record<string, string>;
}

export function parseSafetensorsIndex(text: string, file: string): SafetensorsIndex {
  const json = parseJson(text, file, 'the index');
  if (!isRecord(json)) throw invalidFile(file, 'the index must be a JSON object');
  const map = json.weight_map;
  if (!isRecord(map)) throw invalidFile(file, '`weight_map` is missing or not an object');
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      throw invalidFile(file, `tensor \`${name}\` is mapped to ${shortValue(shard)}, not a shard file name`);
    }
    weightMap.set(name, shard);
    if (!shards.includes(shard)) shards.push(shard);
  }
  const metadata: Record<string, string> = {};
  if (isRecord(json.metadata)) {
    for (const [key, value] of Object.entries(json.metadata)) {
      if (typeof value === 'string' || typeof value === 'number') metadata[key] = String(value);
    }
  }
  return { weightMap, shards, metadata };
}
