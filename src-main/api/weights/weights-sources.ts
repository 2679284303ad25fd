import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { decodeArtifact } from '../../shared/artifact-codec';
import {
  RELEVANCE_MAP_ARTIFACT_KIND,
  type CheckpointRef,
  type CheckpointSide,
  type ModelFileFormat,
} from '../../shared/contract-weights';
import type { TensorEntry } from '../../shared/domain';
import { DeltascopeError } from '../../shared/errors';
import type { DeltascopeDb } from '../../store';
import {
  mapSource,
  openSafetensorsSource,
  readSafetensorsFile,
  readTfjsModelFile,
  resolveSafetensorsPath,
  SAFETENSORS_INDEX,
  sourceParamCount,
  sourceTensors,
  packTensorMap,
  tensorMapFromManifest,
  type ImportedWeights,
  type SourceTensor,
  type TensorMap,
  type TensorSource,
} from '../../weights';
import { ByteLruCache } from './weights-cache';
import type { StreamSpec } from './weights-diff-messages';
import type { SideSpec } from './weights-heatmap-task';

/**
 * Where the tensors of a CheckpointRef come from: a stored checkpoint of the open database, a model
 * file on disk, or a stored relevance map (an artifact of weights.aggregate). Loaded weights are copied once into a SharedArrayBuffer, so a worker thread can diff
 * them without another copy, and kept in a byte-bounded LRU cache keyed by open connection and
 * checkpoint id (or by file path, size and mtime).
 */

export interface LoadedSource {
  /** Cache identity; also names derived views (delta tiles) in their own cache. */
  key: string;
  side: CheckpointSide;
  manifest: TensorEntry[];
  /** Every tensor's elements back to back, in a SharedArrayBuffer. */
  weights: Float32Array;
  map: TensorMap;
}

/**
 * One side of a heatmap, hover or overview request: its tensors listed up front, values read only for
 * the tensor asked for. A safetensors file or folder and a stored checkpoint are never loaded whole
 * (a tile of one tensor of a 14 GB model reads that tensor); small sources come from the loaded cache.
 */
export interface LazySide {
  /** Cache identity (the same as `LoadedSource.key` for the same ref). */
  key: string;
  side: CheckpointSide;
  tensors: ReadonlyMap<string, SourceTensor>;
  /** Opens the values for reading; the caller closes the source. */
  open(): TensorSource;
  /** How the compute thread opens it (weights-heatmap-task.ts). */
  spec: SideSpec;
}

export interface ModelFile {
  /** Absolute path of the .safetensors file, of a safetensors model folder or its index, or of model.json. */
  path: string;
  /** Name used in messages: the file name, the folder name, or `folder/model.json` for tfjs. */
  label: string;
  format: ModelFileFormat;
  /** Name of the run an import creates: the file name without extension, or the folder's name. */
  name: string;
}

/** One side of a streamed diff: described, opened lazily, and re-openable in a worker. */
export interface StreamSide {
  side: CheckpointSide;
  source: TensorSource;
  spec: StreamSpec;
}

const FLOAT32_BYTES = 4;

/**
 * Decides a path's format: a `.safetensors` file; a folder holding `model.safetensors.index.json`
 * (a sharded Hugging Face checkpoint), `model.safetensors` or a tfjs `model.json`; or such an
 * index or `*.json` file itself.
 */
export function resolveModelFile(path: string): ModelFile {
  const absolute = resolve(path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new DeltascopeError('FILE_NOT_FOUND', `${absolute} does not exist`, { path: absolute });
    }
    throw new DeltascopeError('IO_ERROR', `cannot read ${absolute}: ${(error as Error).message}`, {
      path: absolute,
    });
  }
  const folder = basename(absolute);
  if (isDirectory) {
    if (resolveSafetensorsPath(absolute) !== null) {
      return { path: absolute, label: folder, format: 'safetensors', name: folder };
    }
    if (existsSync(join(absolute, 'model.json'))) {
      return {
        path: join(absolute, 'model.json'),
        label: `${folder}/model.json`,
        format: 'tfjs',
        name: folder,
      };
    }
    throw new DeltascopeError(
      'INVALID_FILE',
      `${folder}: the folder holds no model Deltascope reads (expected ${SAFETENSORS_INDEX} with its shards, model.safetensors, or a tfjs model.json)`,
      { file: absolute },
    );
  }
  const extension = extname(absolute).toLowerCase();
  const parent = basename(dirname(absolute));
  if (extension === '.safetensors') {
    return {
      path: absolute,
      label: folder,
      format: 'safetensors',
      name: basename(absolute, extname(absolute)),
    };
  }
  if (absolute.endsWith('.safetensors.index.json')) {
    return { path: absolute, label: parent, format: 'safetensors', name: parent };
  }
  if (extension === '.json') {
    return { path: absolute, label: `${parent}/${folder}`, format: 'tfjs', name: parent };
  }
  throw new DeltascopeError(
    'INVALID_FILE',
    `${folder}: not a model file Deltascope reads (expected a .safetensors file, a model folder with ${SAFETENSORS_INDEX} or model.safetensors, a tfjs model.json, or a folder holding model.json)`,
    { file: absolute },
  );
}

/** Reads a model file (FILE_NOT_FOUND if absent, INVALID_FILE naming it if malformed). */
export async function readModelFile(file: ModelFile): Promise<ImportedWeights> {
  return file.format === 'safetensors' ? readSafetensorsFile(file.path) : readTfjsModelFile(file.path);
}

/** Copies the tensors, in map order, into one SharedArrayBuffer-backed array with its manifest. */
export function packShared(map: TensorMap): { manifest: TensorEntry[]; weights: Float32Array } {
  return packTensorMap(map, (length) => new Float32Array(new SharedArrayBuffer(length * FLOAT32_BYTES)));
}

/** Default budget of loaded checkpoints kept for pan/zoom: 768 MiB, each kept up to 5 minutes. */
export const DEFAULT_SOURCE_CACHE_BYTES = 768 * 1024 * 1024;
export const SOURCE_CACHE_AGE_MS = 5 * 60 * 1000;

/** Lazy sides kept (their tensor lists only, no values). */
const LAZY_SIDES_KEPT = 64;
/**
 * From this many parameters a side of a heatmap is read tensor by tensor; below, it is loaded whole
 * into the cache once (the app's own checkpoints: hover read-outs then never touch the disk).
 */
export const LAZY_FROM_PARAMS = 16 * 1024 * 1024;

/** What a compute thread hands back for a load: the side and its weights in a SharedArrayBuffer. */
export type ReadSource = Pick<LoadedSource, 'side' | 'manifest' | 'weights'>;

/**
 * Reads a source in a compute thread (`dbPath`: the open database, for a stored checkpoint or map);
 * the weights come back in a SharedArrayBuffer, shared with this thread, not copied.
 */
export type SourceReader = (ref: CheckpointRef, dbPath: string | null) => Promise<ReadSource>;

/** Loads CheckpointRefs through one LRU cache. */
export class WeightSources {
  private readonly cache: ByteLruCache<LoadedSource>;
  /** Each entry counts 1: the budget is a number of sides. */
  private readonly lazySides = new ByteLruCache<LazySide>(LAZY_SIDES_KEPT, SOURCE_CACHE_AGE_MS);
  /** Loads under way in a compute thread, so concurrent calls for one source share one read. */
  private readonly reading = new Map<string, Promise<LoadedSource>>();

  /** `reader`: reads sources in a compute thread (the API); null: here (the CLI, a compute thread itself). */
  constructor(
    private readonly database: () => DeltascopeDb,
    maxBytes = DEFAULT_SOURCE_CACHE_BYTES,
    private readonly lazyFromParams = LAZY_FROM_PARAMS,
    private readonly reader: SourceReader | null = null,
  ) {
    this.cache = new ByteLruCache<LoadedSource>(maxBytes, SOURCE_CACHE_AGE_MS);
  }

  /**
   * A side whose tensors are read one at a time: a safetensors file or folder (headers only on open)
   * or a stored checkpoint (its manifest, then one tensor's chunks); a tfjs model or a relevance map
   * through the loaded cache.
   */
  async lazy(ref: CheckpointRef): Promise<LazySide> {
    if ('checkpointId' in ref) {
      const lazy = this.lazyCheckpoint(ref.checkpointId);
      if (lazy.side.paramCount >= this.lazyFromParams) return lazy;
    } else if ('file' in ref) {
      const file = resolveModelFile(ref.file);
      if (file.format === 'safetensors') {
        const lazy = this.lazyFile(file);
        if (lazy.side.paramCount >= this.lazyFromParams) return lazy;
      }
    }
    const loaded = await this.load(ref);
    const { label } = loaded.side;
    return {
      key: loaded.key,
      side: loaded.side,
      tensors: sourceTensors(mapSource(loaded.map, label)),
      open: () => mapSource(loaded.map, label),
      spec: { kind: 'memory', label, manifest: loaded.manifest, weights: loaded.weights },
    };
  }

  private lazyCheckpoint(checkpointId: number): LazySide {
    const db = this.database();
    const key = `db:${databaseSerial(db)}#${checkpointId}`;
    const cached = this.lazySides.get(key);
    if (cached !== undefined) return cached;
    const side = checkpointSide(db, checkpointId);
    const probe = db.checkpoints.openSource(checkpointId);
    const lazy: LazySide = {
      key,
      side,
      tensors: sourceTensors(probe),
      open: () => db.checkpoints.openSource(checkpointId),
      spec: { kind: 'checkpoint', label: side.label, dbPath: db.path, checkpointId },
    };
    probe.close();
    this.lazySides.set(key, lazy, 1);
    return lazy;
  }

  private lazyFile(file: ModelFile): LazySide {
    const stat = statOrNull(signatureFile(file.path));
    const key = `file:${file.path}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
    const cached = this.lazySides.get(key);
    if (cached !== undefined) return cached;
    const probe = openSafetensorsSource(file.path);
    let lazy: LazySide;
    try {
      lazy = {
        key,
        side: {
          label: file.label,
          source: 'safetensors',
          checkpoint: null,
          runName: null,
          file: file.path,
          tensorCount: probe.tensors.length,
          paramCount: sourceParamCount(probe),
        },
        tensors: sourceTensors(probe),
        open: () => openSafetensorsSource(file.path),
        spec: { kind: 'file', label: file.label, path: file.path },
      };
    } finally {
      probe.close();
    }
    this.lazySides.set(key, lazy, 1);
    return lazy;
  }

  async load(ref: CheckpointRef): Promise<LoadedSource> {
    const dbPath = 'file' in ref ? null : this.database().path;
    if (this.reader === null || (dbPath !== null && !existsSync(dbPath))) return this.loadHere(ref);
    // Reading and decoding every value is O(model): a compute thread does it; this one keeps the result.
    const key = this.keyOf(ref);
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      if ('checkpointId' in ref) this.database().checkpoints.checkReference(ref.checkpointId);
      return cached;
    }
    let pending = this.reading.get(key);
    if (pending === undefined) {
      pending = this.reader(ref, dbPath)
        .then(({ side, manifest, weights }): LoadedSource => {
          const map = tensorMapFromManifest(manifest, weights, side.label);
          const source = { key, side, manifest, weights, map };
          this.cache.set(key, source, weights.byteLength);
          return source;
        })
        .finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
    }
    return pending;
  }

  /** Loads `ref` in this thread. */
  async loadHere(ref: CheckpointRef): Promise<LoadedSource> {
    if ('checkpointId' in ref) return this.checkpoint(ref.checkpointId);
    if ('artifactId' in ref) return this.relevanceMap(ref.artifactId);
    return this.file(ref.file);
  }

  /** The cache key of `ref`: the open connection and id, or the file's path, size and mtime. */
  private keyOf(ref: CheckpointRef): string {
    if ('checkpointId' in ref) return `db:${databaseSerial(this.database())}#${ref.checkpointId}`;
    if ('artifactId' in ref) return `db:${databaseSerial(this.database())}@${ref.artifactId}`;
    return fileKey(resolveModelFile(ref.file).path);
  }

  /** A stored checkpoint of the open database (NOT_FOUND naming it if absent). */
  checkpoint(checkpointId: number): LoadedSource {
    const db = this.database();
    const key = `db:${databaseSerial(db)}#${checkpointId}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      // A checkpoint referenced in place: its files must not have changed since it was loaded.
      db.checkpoints.checkReference(checkpointId);
      return cached;
    }
    const side = checkpointSide(db, checkpointId);
    const stored = db.checkpoints.readWeights(checkpointId);
    const weights = new Float32Array(new SharedArrayBuffer(stored.weights.byteLength));
    weights.set(stored.weights);
    const source: LoadedSource = {
      key,
      side,
      manifest: stored.manifest,
      weights,
      map: tensorMapFromManifest(stored.manifest, weights, side.label),
    };
    this.cache.set(key, source, weights.byteLength);
    return source;
  }

  /**
   * A stored relevance map as a tensor map (NOT_FOUND if absent, INVALID_SPEC if the artifact is of
   * another kind, DATABASE_CORRUPT if its manifest or data do not fit together).
   */
  relevanceMap(artifactId: number): LoadedSource {
    const db = this.database();
    const key = `db:${databaseSerial(db)}@${artifactId}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const artifact = db.artifacts.get(artifactId);
    if (artifact.kind !== RELEVANCE_MAP_ARTIFACT_KIND) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `artifact ${artifactId} is a '${artifact.kind}', not a relevance map; only relevance maps can be drawn or diffed.`,
        { artifactId, kind: artifact.kind },
      );
    }
    const label = `relevance map ${artifactId}`;
    const content = decodeArtifact(RELEVANCE_MAP_ARTIFACT_KIND, artifact);
    const weights = new Float32Array(new SharedArrayBuffer(content.data.byteLength));
    weights.set(content.data);
    const entries = content.manifest.entries;
    let map: TensorMap;
    try {
      map = tensorMapFromManifest(entries, weights, label);
    } catch (error) {
      throw new DeltascopeError('DATABASE_CORRUPT', (error as Error).message, { artifactId });
    }
    const source: LoadedSource = {
      key,
      side: {
        label,
        source: 'relevance-map',
        checkpoint: null,
        runName: null,
        file: null,
        tensorCount: entries.length,
        paramCount: weights.length,
      },
      manifest: entries,
      weights,
      map,
    };
    this.cache.set(key, source, weights.byteLength);
    return source;
  }

  /** A model file, re-read when its size or modification time changed. */
  async file(path: string): Promise<LoadedSource> {
    const file = resolveModelFile(path);
    const key = fileKey(file.path);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const imported = await readModelFile(file);
    const { manifest, weights } = packShared(imported.tensors);
    const source: LoadedSource = {
      key,
      side: {
        label: file.label,
        source: file.format,
        checkpoint: null,
        runName: null,
        file: file.path,
        tensorCount: manifest.length,
        paramCount: weights.length,
      },
      manifest,
      weights,
      map: tensorMapFromManifest(manifest, weights, file.label),
    };
    this.cache.set(key, source, weights.byteLength);
    return source;
  }

  /**
   * A side of a streamed diff. A safetensors file or folder is opened lazily (headers only) and never
   * held whole; a stored checkpoint, relevance map or tfjs model is loaded (through the cache).
   */
  async stream(ref: CheckpointRef): Promise<StreamSide> {
    if ('file' in ref) {
      const file = resolveModelFile(ref.file);
      if (file.format === 'safetensors') {
        const source = openSafetensorsSource(file.path);
        const side: CheckpointSide = {
          label: file.label,
          source: 'safetensors',
          checkpoint: null,
          runName: null,
          file: file.path,
          tensorCount: source.tensors.length,
          paramCount: sourceParamCount(source),
        };
        return { side, source, spec: { kind: 'file', path: file.path } };
      }
    }
    if ('checkpointId' in ref) {
      // A checkpoint referenced in place streams from its files (checked block by block), never whole.
      const db = this.database();
      const reference = db.checkpoints.reference(ref.checkpointId);
      if (reference !== null) {
        const { side } = this.lazyCheckpoint(ref.checkpointId);
        const expect = { fingerprint: reference.fingerprint, owner: `checkpoint ${ref.checkpointId}` };
        const source = db.checkpoints.openSource(ref.checkpointId);
        return { side, source, spec: { kind: 'file', path: reference.path, expect } };
      }
    }
    const loaded = await this.load(ref);
    return {
      side: loaded.side,
      source: mapSource(loaded.map, loaded.side.label),
      spec: { kind: 'memory', label: loaded.side.label, manifest: loaded.manifest, weights: loaded.weights },
    };
  }

  clear(): void {
    this.cache.clear();
    this.lazySides.clear();
  }
}

/** The file whose size and mtime identify a model's version: a folder's index or model.safetensors. */
function signatureFile(path: string): string {
  try {
    return resolveSafetensorsPath(path)?.path ?? path;
  } catch {
    return path;
  }
}

const serials = new WeakMap<DeltascopeDb, number>();
let lastSerial = 0;

/** One number per open connection: a file re-created at the same path never hits stale entries. */
function databaseSerial(db: DeltascopeDb): number {
  let serial = serials.get(db);
  if (serial === undefined) {
    serial = ++lastSerial;
    serials.set(db, serial);
  }
  return serial;
}

/** A loaded model file's cache key: its path, size and modification time. */
function fileKey(path: string): string {
  const stat = statOrNull(path);
  return `file:${path}:${stat?.size ?? -1}:${stat?.mtimeMs ?? -1}`;
}

function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The diff side of stored checkpoint `checkpointId`: its summary (without the manifest) and run name. */
function checkpointSide(db: DeltascopeDb, checkpointId: number): CheckpointSide {
  const { tensors: _tensors, ...summary } = db.checkpoints.get(checkpointId);
  return {
    label: `checkpoint ${checkpointId}`,
    source: 'checkpoint',
    checkpoint: summary,
    runName: db.runs.get(summary.runId).name,
    file: null,
    tensorCount: summary.tensorCount,
    paramCount: summary.paramCount,
  };
}
