import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { openDatabaseAt, writeFilesSafely, type SafeWriteOptions } from '../../files';
import { DeltascopeError } from '../../shared/errors';
import type { TensorMap } from '../tensor-map';
import {
  maxModelFileBytes,
  openCheckedFile,
  readCheckedFile,
  readOpenedFile,
  realPathOf,
  shardRealPath,
  tooLarge,
  type CheckedFile,
} from './checked-file';
import { invalidFile } from './decode';
import { readTfjsModel, writeTfjsModel, type ImportedTfjsModel, type TfjsWriteOptions } from './tfjs-layers';

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

/**
 * Reads model.json and the shard files beside it. A missing shard is INVALID_FILE naming the shard;
 * so is a shard that resolves (by real path) outside the folder, or to the same file as another
 * shard; model.json and each shard must be regular files, and all together under the size cap.
 */
export async function readTfjsModelFile(modelJsonPath: string): Promise<ImportedTfjsModel> {
  const file = basename(modelJsonPath);
  const maxBytes = maxModelFileBytes();
  const text = new TextDecoder().decode(await readCheckedFile(modelJsonPath, { maxBytes }));
  const realDir = await realPathOf(dirname(modelJsonPath));
  const opened = new Map<string, { real: string; checked: CheckedFile }>();
  const byReal = new Map<string, string>();
  try {
    let total = 0;
    for (const path of manifestPaths(text)) {
      const real = await shardRealPath(realDir, path, file);
      if (real === null) continue; // readTfjsModel names the missing shard
      const first = byReal.get(real);
      if (first !== undefined) {
        throw invalidFile(
          file,
          first === path
            ? `shard \`${path}\` is listed twice`
            : `shards \`${first}\` and \`${path}\` are the same file`,
        );
      }
      byReal.set(real, path);
      const checked = await openCheckedFile(real, { maxBytes });
      opened.set(path, { real, checked });
      total += checked.size;
      if (total > maxBytes) throw tooLarge(modelJsonPath, total, maxBytes, 'its shards hold');
    }
    const shards = new Map<string, Uint8Array>();
    for (const [path, { real, checked }] of opened) {
      opened.delete(path);
      shards.set(path, await readOpenedFile(checked, real));
    }
    return readTfjsModel(text, (path) => shards.get(path), file);
  } finally {
    await Promise.all([...opened.values()].map(({ checked }) => checked.handle.close()));
  }
}

export interface TfjsFileWriteOptions extends TfjsWriteOptions, SafeWriteOptions {
  /** The model file's name in the folder. Default `model.json`. */
  modelFileName?: string;
  /** Create `dir` when it is missing (it was the folder asked for). Default true. */
  createFolder?: boolean;
}

/**
 * Writes `dir/model.json` and its shards through the safe writer (src-main/files): every file,
 * shards included, is checked before the first is written, and an existing one is replaced only with
 * `overwrite`. Creates `dir` itself when it is missing (the one folder asked for, never its parents)
 * unless `createFolder` is false.
 * Returns the paths written, the model file first.
 */
export async function writeTfjsModelFile(
  dir: string,
  tensors: TensorMap,
  options: TfjsFileWriteOptions = {},
): Promise<string[]> {
  const folder = resolve(dir);
  const files = writeTfjsModel(tensors, options);
  const modelFile = {
    target: { path: join(folder, options.modelFileName ?? 'model.json'), extensions: ['.json'] },
    data: files.modelJson,
  };
  const shards = files.shards.map((shard) => ({
    target: { path: join(folder, shard.path), extensions: ['.bin'] },
    data: shard.bytes,
  }));
  const created = options.createFolder !== false && makeFolder(folder);
  try {
    // Shards first, so that the model file never names a shard that is not there yet.
    const written = await writeFilesSafely([...shards, modelFile], options);
    return [written[written.length - 1]!, ...written.slice(0, -1)];
  } catch (error) {
    if (created) rmdirSync(folder);
    throw error;
  }
}

/** Creates `folder` (not its parents) when missing; true if it did. */
function makeFolder(folder: string): boolean {
  if (openDatabaseAt(folder) !== null) {
    throw new DeltascopeError(
      'FILE_EXISTS',
      `Refusing to write a tfjs model into ${folder}: it is the open database or one of its files.`,
      { path: folder },
    );
  }
  const stats = statSync(folder, { throwIfNoEntry: false });
  if (stats !== undefined) {
    if (stats.isDirectory()) return false;
    throw new DeltascopeError(
      'FILE_EXISTS',
      `Refusing to write a tfjs model into ${folder}: it is a file, not a folder.`,
      { path: folder },
    );
  }
  try {
    mkdirSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new DeltascopeError(
        'FILE_NOT_FOUND',
        `Cannot write a tfjs model into ${folder}: the folder ${dirname(folder)} does not exist. Create it first.`,
        { path: folder },
      );
    }
    throw new DeltascopeError('IO_ERROR', `Cannot create the folder ${folder}: ${(error as Error).message}`, {
      path: folder,
    });
  }
  return true;
}
