import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { DeltascopeError } from '../../shared/errors';
import type { TensorMap } from '../tensor-map';
import { invalidFile } from './decode';
import { readFileBytes } from './file-io';
import { readTfjsModel, writeTfjsModel, type ImportedTfjsModel, type TfjsWriteOptions } from './tfjs-layers';

/** A shard path must stay inside the model's folder: no absolute paths, no `..`. */
function shardPath(dir: string, shard: string, file: string): string {
  const normalized = normalize(shard);
  if (isAbsolute(shard) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw invalidFile(file, `shard path \`${shard}\` points outside the model's folder`);
  }
  return join(dir, normalized);
}

function manifestPaths(text: string): string[] {
  try {
    const json = JSON.parse(text) as { weightsManifest?: { paths?: unknown }[] };
    if (!Array.isArray(json.weightsManifest)) return [];
    return json.weightsManifest.flatMap((g) =>
      Array.isArray(g?.paths) ? g.paths.filter((p): p is string => typeof p === 'string') : [],
    );
  } catch {
    return []; // readTfjsModel reports the JSON error with the file name.
  }
}

/** Reads model.json and the shard files beside it; a missing shard is INVALID_FILE naming the shard. */
export async function readTfjsModelFile(modelJsonPath: string): Promise<ImportedTfjsModel> {
  const file = basename(modelJsonPath);
  const dir = dirname(modelJsonPath);
  const text = new TextDecoder().decode(await readFileBytes(modelJsonPath, readFile));
  const shards = new Map<string, Uint8Array>();
  for (const path of manifestPaths(text)) {
    if (shards.has(path)) continue;
    try {
      shards.set(path, await readFileBytes(shardPath(dir, path, file), readFile));
    } catch (error) {
      // A missing shard is left to readTfjsModel, which names it as an INVALID_FILE problem.
      if (!(error instanceof DeltascopeError && error.code === 'FILE_NOT_FOUND')) throw error;
    }
  }
  return readTfjsModel(text, (path) => shards.get(path), file);
}

/** Writes `dir/model.json` and its shards (creating `dir`); returns the paths written. */
export async function writeTfjsModelFile(
  dir: string,
  tensors: TensorMap,
  options: TfjsWriteOptions = {},
): Promise<string[]> {
  const files = writeTfjsModel(tensors, options);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const shard of files.shards) {
    const path = join(dir, shard.path);
    await writeFile(path, shard.bytes);
    written.push(path);
  }
  const modelPath = join(dir, 'model.json');
  await writeFile(modelPath, files.modelJson);
  return [modelPath, ...written];
}
