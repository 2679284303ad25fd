import { basename, dirname, extname, resolve } from 'node:path';
import type { ModelFileFormat } from '../../shared/contract-weights';
import { DeltascopeError } from '../../shared/errors';
import type { DeltascopeDb, PutSourceInput } from '../../store';
import {
  fingerprintSafetensors,
  mapSource,
  openSafetensorsSource,
  resolveSafetensorsPath,
  sourceParamCount,
  writeSafetensorsFile,
  writeTfjsModelFile,
  type TensorSource,
} from '../../weights';
import { readModelFile, resolveModelFile, type ModelFile, type WeightSources } from './weights-sources';

/**
 * weights.inspect / weights.import / weights.export: model files in and out of a database. An import
 * streams a safetensors file or folder into chunked storage in its own dtype (never holding it
 * whole), in one transaction, so a malformed or interrupted file leaves the database untouched.
 */

/** The reward of an imported run: unknown, so it weights nothing. */
const IMPORTED_REWARD = { name: 'imported', collect: {}, stepCost: 0, reach: {} };

/**
 * weights.inspect: a safetensors file or folder from its headers alone (a 14 GB model is listed
 * without reading its values, on the event loop or anywhere); a tfjs model is read.
 */
export async function inspectModelFile(path: string) {
  const file = resolveModelFile(path);
  const { source, sourceDtypes, metadata } = await openModelSource(file);
  try {
    const tensors = source.tensors.map((t) => ({
      name: t.name,
      shape: [...t.shape],
      sourceDtype: sourceDtypes[t.name] ?? 'float32',
    }));
    return { file: file.path, format: file.format, tensors, paramCount: sourceParamCount(source), metadata };
  } finally {
    source.close();
  }
}

/** A model file as a lazy source: safetensors files and folders are read chunk by chunk. */
async function openModelSource(
  file: ModelFile,
): Promise<{ source: TensorSource; sourceDtypes: Record<string, string>; metadata: Record<string, string> }> {
  if (file.format === 'safetensors') {
    const source = openSafetensorsSource(file.path);
    const sourceDtypes = Object.fromEntries(source.tensors.map((t) => [t.name, t.dtype]));
    return { source, sourceDtypes, metadata: { ...source.metadata } };
  }
  const imported = await readModelFile(file);
  return {
    source: mapSource(imported.tensors, file.label),
    sourceDtypes: imported.sourceDtypes,
    metadata: imported.metadata,
  };
}

export interface NonFiniteCount {
  total: number;
  tensors: Record<string, number>;
}

/** `source` with a tally of the NaN/±Infinity values read through it, per tensor (null when none). */
function countingNonFinite(source: TensorSource): {
  source: TensorSource;
  count: () => NonFiniteCount | null;
} {
  const tensors: Record<string, number> = {};
  let total = 0;
  const counted: TensorSource = {
    label: source.label,
    tensors: source.tensors,
    metadata: source.metadata,
    peakBytesHeld: () => source.peakBytesHeld(),
    close: () => source.close(),
    read(name, start, out) {
      source.read(name, start, out);
      let bad = 0;
      for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i]!)) bad += 1;
      if (bad > 0) {
        tensors[name] = (tensors[name] ?? 0) + bad;
        total += bad;
      }
    },
  };
  return { source: counted, count: () => (total === 0 ? null : { total, tensors: { ...tensors } }) };
}

/**
 * Imports a model file as a checkpoint. NaN/±Infinity values are imported as they are (a diff counts
 * them apart), counted while they stream in and kept in the result and the provenance
 * (details.nonFinite) so they stay visible.
 */
export async function importModelFile(
  db: DeltascopeDb,
  params: { path: string; label?: string | undefined; experiment: string; reference?: boolean },
) {
  const file = resolveModelFile(params.path);
  if (params.reference === true) return importReference(db, file, params);
  const opened = await openModelSource(file);
  const { sourceDtypes, metadata } = opened;
  const { source, count } = countingNonFinite(opened.source);
  try {
    if (source.tensors.length === 0) {
      throw new DeltascopeError('INVALID_FILE', `${file.label}: the file holds no tensors.`, {
        file: file.path,
      });
    }
    // One transaction: the tensors stream in chunk by chunk, and a file that turns out to be
    // damaged half way (or an interrupted import) leaves the database as it was.
    return db.transaction(() => {
      const { experiment, run } = importRun(db, file, params.experiment, metadata);
      const input = importInput(db, run.id, file, params.label, { metadata, sourceDtypes }, false);
      const stored = db.checkpoints.putFromSource(input, source);
      const nonFinite = count();
      const checkpoint =
        nonFinite === null ? stored : db.checkpoints.addProvenanceDetails(stored.id, { nonFinite });
      return {
        checkpoint,
        runId: run.id,
        experimentId: experiment.id,
        format: file.format,
        sourceDtypes,
        nonFinite,
        reference: false,
      };
    });
  } finally {
    source.close();
  }
}

/**
 * The imported checkpoint's row: the next step of its run, labelled by the file unless named, its
 * provenance saying where it came from and whether it was copied or referenced in place.
 */
function importInput(
  db: DeltascopeDb,
  runId: number,
  file: ModelFile,
  label: string | undefined,
  read: { metadata: Record<string, string>; sourceDtypes: Record<string, string> },
  reference: boolean,
): PutSourceInput {
  const details = { file: file.path, format: file.format, ...read };
  return {
    runId,
    step: db.runs.get(runId).checkpointCount,
    label: label ?? basename(file.path),
    provenance: {
      kind: 'import',
      description: reference
        ? `referenced in place at ${file.path} (${file.format}; not copied)`
        : `imported from ${file.path} (${file.format})`,
      inputs: [],
      details: reference ? { ...details, reference: true } : details,
    },
  };
}

/** The run of phase "imported" named after the file, in `experimentName`, created on first use. */
function importRun(
  db: DeltascopeDb,
  file: ModelFile,
  experimentName: string,
  metadata: Record<string, string>,
) {
  const experiment = db.experiments.findOrCreate(experimentName);
  const run =
    db.runs.listByExperiment(experiment.id).find((r) => r.name === file.name && r.phase === 'imported') ??
    db.runs.create({
      experimentId: experiment.id,
      name: file.name,
      phase: 'imported',
      reward: IMPORTED_REWARD,
      seed: null,
      status: 'done',
      config: { source: { file: file.path, format: file.format, metadata } },
    });
  return { experiment, run };
}

/**
 * Imports a safetensors file or folder by reference: its files are hashed (one sequential read, per
 * file and per 16 MiB block) and the checkpoint points at them; nothing is copied, and values are
 * not decoded (so NaN/±Infinity are not counted: `nonFinite` is null). Every later read checks the
 * files and refuses them (REFERENCE_CHANGED) once they changed.
 */
function importReference(
  db: DeltascopeDb,
  file: ModelFile,
  params: { label?: string | undefined; experiment: string },
) {
  const resolved = file.format === 'safetensors' ? resolveSafetensorsPath(file.path) : null;
  if (resolved === null) {
    throw new DeltascopeError(
      'INVALID_SPEC',
      `${file.label}: only safetensors files and folders can be referenced in place; import this ${file.format} model without --reference (a copy).`,
      { file: file.path },
    );
  }
  const fingerprint = fingerprintSafetensors(resolved);
  const source = openSafetensorsSource(file.path);
  const sourceDtypes = Object.fromEntries(source.tensors.map((t) => [t.name, t.dtype]));
  const metadata = { ...source.metadata };
  source.close();
  return db.transaction(() => {
    const { experiment, run } = importRun(db, file, params.experiment, metadata);
    const input = importInput(db, run.id, file, params.label, { metadata, sourceDtypes }, true);
    const checkpoint = db.checkpoints.putReference(input, { path: file.path, fingerprint });
    return {
      checkpoint,
      runId: run.id,
      experimentId: experiment.id,
      format: file.format,
      sourceDtypes,
      nonFinite: null,
      reference: true,
    };
  });
}

/** fs failures while writing, as IO_ERROR naming the path (the safe writer's refusals pass through). */
async function writing<T>(path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof DeltascopeError) throw error;
    throw new DeltascopeError('IO_ERROR', `cannot write ${path}: ${(error as Error).message}`, { path });
  }
}

/**
 * Writes a checkpoint as a .safetensors file, or as a tfjs model: into the folder `path`, or as the
 * model file `path` when it ends in .json. Every file goes through the safe writer (src-main/files).
 */
export async function exportCheckpoint(
  db: DeltascopeDb,
  sources: WeightSources,
  params: { checkpointId: number; path: string; format: ModelFileFormat; overwrite: boolean },
) {
  const checkpoint = db.checkpoints.get(params.checkpointId);
  const { map } = sources.checkpoint(params.checkpointId);
  const counts = { tensorCount: checkpoint.tensorCount, paramCount: checkpoint.paramCount };
  const target = resolve(params.path);
  const options = { overwrite: params.overwrite };
  if (params.format === 'safetensors') {
    const metadata = {
      generatedBy: 'Deltascope',
      checkpointId: String(checkpoint.id),
      label: checkpoint.label,
      sha256: checkpoint.sha256,
    };
    await writing(target, () => writeSafetensorsFile(target, map, metadata, options));
    return { format: params.format, paths: [target], ...counts };
  }
  const named = extname(target).toLowerCase() === '.json';
  const dir = named ? dirname(target) : target;
  const paths = await writing(dir, () =>
    writeTfjsModelFile(dir, map, {
      ...options,
      // A named model file's folder must exist; a named folder is created (only it).
      ...(named ? { modelFileName: basename(target), createFolder: false } : {}),
    }),
  );
  return { format: params.format, paths, ...counts };
}
