import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readModelFile, resolveModelFile } from '../api/weights/weights-sources';
import type { CheckpointRef } from '../shared/contract-weights';
import type { DeltascopeDb } from '../store';
import {
  mapSource,
  openSafetensorsSource,
  writeSafetensorsFolder,
  type SafetensorsDtype,
  type TensorSource,
} from '../weights';
import { UsageError } from './command';
import { configFolder } from '../api/weights/weights-aggregate-folder';
import { parseNumber } from './weights-cli';

/**
 * `combine` and `aggregate` over model files, folders and stored checkpoints read lazily: each input
 * is a TensorSource (a safetensors file or folder read chunk by chunk, a stored checkpoint chunk by
 * chunk, a tfjs model in memory), and the result is streamed into a sharded safetensors folder.
 */

/** Checkpoint ids in a formula stand for the database's; files bound to names get ids from here. */
export const FILE_ID_BASE = 1_000_000_000;

/** The folder holding `path`'s config.json (the folder itself, or the file's folder), or null. */
function fileConfigFolder(path: string): string | null {
  const folder = existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
  return existsSync(join(folder, 'config.json')) ? folder : null;
}

/** Opens the inputs; `db` is needed only for stored checkpoints. Closes them all on failure. */
export class OpenedSources {
  readonly sources: TensorSource[] = [];
  /** Where the first input that has one keeps its config.json. */
  configFrom: string | null = null;

  async open(ref: CheckpointRef, db: () => DeltascopeDb): Promise<TensorSource> {
    let source: TensorSource;
    if ('artifactId' in ref) {
      throw new UsageError(
        `map:${ref.artifactId} is a relevance map; give checkpoints, model files or folders.`,
      );
    }
    if ('checkpointId' in ref) {
      const database = db();
      source = database.checkpoints.openSource(ref.checkpointId);
      this.configFrom ??= configFolder(database, [ref.checkpointId]);
    } else {
      const file = resolveModelFile(ref.file);
      source =
        file.format === 'safetensors'
          ? openSafetensorsSource(file.path)
          : mapSource((await readModelFile(file)).tensors, file.label);
      this.configFrom ??= fileConfigFolder(file.path);
    }
    this.sources.push(source);
    return source;
  }

  close(): void {
    for (const source of this.sources.splice(0)) source.close();
  }
}

/** --memory-budget in bytes (default: the weights' 1 GiB). */
export function parseBudget(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseNumber(text, '--memory-budget');
  if (!(bytes >= 1024)) throw new UsageError(`--memory-budget must be at least 1024 bytes; got "${text}"`);
  return bytes;
}

/** Writes `source` as the sharded folder `out`; returns the files written. */
export function writeResultFolder(
  out: string,
  source: TensorSource,
  options: {
    dtype: SafetensorsDtype | undefined;
    maxShardBytes: number | undefined;
    configFrom: string | null;
    metadata: Record<string, string>;
    chunkElements?: number;
  },
): string[] {
  return writeSafetensorsFolder(out, source, {
    ...(options.dtype === undefined ? {} : { dtype: options.dtype }),
    ...(options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes }),
    ...(options.chunkElements === undefined ? {} : { chunkElements: options.chunkElements }),
    configFrom: options.configFrom,
    metadata: { generatedBy: 'Deltascope', ...options.metadata },
  });
}
