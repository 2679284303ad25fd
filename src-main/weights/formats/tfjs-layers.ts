import { DeltascopeError } from '../../shared/errors';
import { formatShape, isValidShape, shapeSize, type NamedTensor, type TensorMap } from '../tensor-map';
import {
  float32Bytes,
  float16ToNumber,
  invalidFile,
  isRecord,
  parseJson,
  readFloat32,
  readInt32,
  shortValue,
} from './decode';
import type { ImportedWeights } from './safetensors';

/**
 * TensorFlow.js layers models: `model.json` = { format, generatedBy, convertedBy, modelTopology,
 * weightsManifest: [{ paths: [shard files], weights: [{ name, shape, dtype, quantization? }] }] }.
 * Each group's shards concatenate into one buffer holding its weights back to back, in order.
 * Read: float32, int32 (cast), and quantized uint8/uint16 (v = min + scale·q) and float16.
 * Write: float32 in one group, split into shards of at most 4 MiB (tfjs's own default), named
 * `group1-shard1of3.bin` like tfjs does.
 */

export const DEFAULT_MAX_SHARD_BYTES = 4 * 1024 * 1024;

/** Returns the bytes of a shard named in `paths` (relative to model.json), or undefined if missing. */
export type ShardResolver = (path: string) => Uint8Array | undefined;

export interface ImportedTfjsModel extends ImportedWeights {
  /** `modelTopology` as found (null if absent); kept so an export can round-trip it. */
  modelTopology: unknown;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  bytesPerElement: number;
  quantization: { dtype: string; scale: number; min: number } | null;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4 };
const QUANT_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
const UNSUPPORTED = ['bool', 'string', 'complex64'];

function parseWeight(raw: unknown, where: string, file: string): WeightSpec {
  if (!isRecord(raw)) throw invalidFile(file, `${where} must be an object`);
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string' || name.length === 0) throw invalidFile(file, `${where} has no name`);
  const what = `weight \`${name}\``;
  if (!isValidShape(shape)) throw invalidFile(file, `${what} has an invalid shape ${shortValue(shape)}`);
  if (typeof dtype !== 'string') throw invalidFile(file, `${what} has no dtype`);
  if (!(dtype in BYTES)) {
    if (UNSUPPORTED.includes(dtype)) {
      throw invalidFile(
        file,
        `${what} has dtype ${dtype}, which cannot be imported (supported: float32, int32)`,
      );
    }
    throw invalidFile(file, `${what} has unknown dtype ${shortValue(dtype)}`);
  }
  if (quantization === undefined || quantization === null) {
    return { name, shape, dtype, bytesPerElement: BYTES[dtype]!, quantization: null };
  }
  if (
    !isRecord(quantization) ||
    typeof quantization.dtype !== 'string' ||
    !(quantization.dtype in QUANT_BYTES)
  ) {
    const q = isRecord(quantization) ? shortValue(quantization.dtype) : 'missing';
    throw invalidFile(
      file,
      `${what} has unknown quantization dtype ${q} (supported: uint8, uint16, float16)`,
    );
  }
  const scale = quantization.scale ?? 1;
  const min = quantization.min ?? 0;
  if (quantization.dtype !== 'float16' && (typeof scale !== 'number' || typeof min !== 'number')) {
    throw invalidFile(file, `${what} is ${quantization.dtype}-quantized but has no numeric scale and min`);
  }
  return {
    name,
    shape,
    dtype,
    bytesPerElement: QUANT_BYTES[quantization.dtype]!,
    quantization: { dtype: quantization.dtype, scale: Number(scale), min: Number(min) },
  };
}

function decodeWeight(buffer: Uint8Array, offset: number, spec: WeightSpec): Float32Array {
  const count = shapeSize(spec.shape);
  const q = spec.quantization;
  if (q === null)
    return spec.dtype === 'int32' ? readInt32(buffer, offset, count) : readFloat32(buffer, offset, count);
  const view = new DataView(buffer.buffer, buffer.byteOffset + offset, count * spec.bytesPerElement);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (q.dtype === 'uint8') out[i] = q.min + q.scale * view.getUint8(i);
    else if (q.dtype === 'uint16') out[i] = q.min + q.scale * view.getUint16(i * 2, true);
    else out[i] = float16ToNumber(view.getUint16(i * 2, true));
  }
  return out;
}

function concatShards(paths: string[], resolve: ShardResolver, file: string): Uint8Array {
  const parts = paths.map((path) => {
    const bytes = resolve(path);
    if (bytes === undefined) throw invalidFile(file, `missing shard \`${path}\``);
    return bytes;
  });
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function parseManifest(
  json: Record<string, unknown>,
  file: string,
): { paths: string[]; weights: WeightSpec[] }[] {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw invalidFile(file, '`weightsManifest` is missing or not an array');
  return manifest.map((group: unknown, g) => {
    const where = `weightsManifest[${g}]`;
    if (!isRecord(group)) throw invalidFile(file, `${where} must be an object`);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw invalidFile(file, `${where}.paths must be a list of shard file names`);
    }
    if (!Array.isArray(weights)) throw invalidFile(file, `${where}.weights must be a list`);
    if (paths.length === 0 && weights.length > 0)
      throw invalidFile(file, `${where} lists weights but no shard files`);
    return {
      paths: paths as string[],
      weights: weights.map((w: unknown, i) => parseWeight(w, `${where}.weights[${i}]`, file)),
    };
  });
}

/** Reads a tfjs model.json plus its shards; INVALID_FILE naming `file` and the problem if malformed. */
export function readTfjsModel(
  modelJson: Uint8Array | string,
  resolveShard: ShardResolver,
  file = 'model.json',
): ImportedTfjsModel {
  const text = typeof modelJson === 'string' ? modelJson : new TextDecoder().decode(modelJson);
  const json = parseJson(text, file, 'model.json');
  if (!isRecord(json)) throw invalidFile(file, 'model.json must be a JSON object');
  const groups = parseManifest(json, file);
  const tensors = new Map<string, NamedTensor>();
  const sourceDtypes: Record<string, string> = {};
  groups.forEach((group, g) => {
    const needed = group.weights.reduce((sum, w) => sum + shapeSize(w.shape) * w.bytesPerElement, 0);
    if (group.weights.length === 0) return;
    const buffer = concatShards(group.paths, resolveShard, file);
    if (buffer.length !== needed) {
      const shapes = group.weights.map((w) => `\`${w.name}\` ${formatShape(w.shape)}`).join(', ');
      const problem = buffer.length < needed ? 'truncated shard?' : 'extra bytes';
      throw invalidFile(
        file,
        `the shards of weightsManifest[${g}] (${group.paths.join(', ')}) hold ${buffer.length} bytes but its weights (${shapes}) need ${needed} (${problem})`,
      );
    }
    let offset = 0;
    for (const spec of group.weights) {
      if (tensors.has(spec.name)) throw invalidFile(file, `weight \`${spec.name}\` is listed twice`);
      tensors.set(spec.name, {
        name: spec.name,
        shape: spec.shape,
        data: decodeWeight(buffer, offset, spec),
      });
      sourceDtypes[spec.name] = spec.quantization
        ? `${spec.dtype} (${spec.quantization.dtype}-quantized)`
        : spec.dtype;
      offset += shapeSize(spec.shape) * spec.bytesPerElement;
    }
  });
  const metadata: Record<string, string> = {};
  for (const key of ['format', 'generatedBy', 'convertedBy']) {
    if (typeof json[key] === 'string') metadata[key] = json[key];
  }
  return { tensors, metadata, sourceDtypes, modelTopology: json.modelTopology ?? null };
}

export interface TfjsWriteOptions {
  /** Keras topology to embed (needed by tf.loadLayersModel); null when only the weights matter. */
  modelTopology?: unknown;
  /** Largest shard in bytes. Default 4 MiB. */
  maxShardBytes?: number;
  /** Shard name prefix. Default 'group1'. */
  groupName?: string;
  generatedBy?: string;
}

export interface TfjsModelFiles {
  /** model.json text. */
  modelJson: string;
  /** Shard files to write next to model.json, in order. */
  shards: { path: string; bytes: Uint8Array }[];
}

/** Serialises tensors (map order, float32) as a tfjs layers model: model.json + ≤ maxShardBytes shards. */
export function writeTfjsModel(tensors: TensorMap, options: TfjsWriteOptions = {}): TfjsModelFiles {
  const {
    maxShardBytes = DEFAULT_MAX_SHARD_BYTES,
    groupName = 'group1',
    generatedBy = 'Deltascope',
  } = options;
  if (!Number.isInteger(maxShardBytes) || maxShardBytes < 4) {
    throw new DeltascopeError('INVALID_SPEC', `maxShardBytes must be an integer ≥ 4; got ${maxShardBytes}`);
  }
  const list = [...tensors.values()];
  const total = list.reduce((sum, t) => sum + t.data.byteLength, 0);
  const buffer = new Uint8Array(total);
  let at = 0;
  for (const tensor of list) {
    buffer.set(float32Bytes(tensor.data), at);
    at += tensor.data.byteLength;
  }
  const count = Math.ceil(total / maxShardBytes);
  const shards = Array.from({ length: count }, (_, i) => ({
    path: `${groupName}-shard${i + 1}of${count}.bin`,
    bytes: buffer.subarray(i * maxShardBytes, Math.min(total, (i + 1) * maxShardBytes)),
  }));
  const weights = list.map((t) => ({ name: t.name, shape: [...t.shape], dtype: 'float32' }));
  const json = {
    format: 'layers-model',
    generatedBy,
    convertedBy: null,
    modelTopology: options.modelTopology ?? null,
    weightsManifest: list.length === 0 ? [] : [{ paths: shards.map((s) => s.path), weights }],
  };
  return { modelJson: JSON.stringify(json), shards };
}
