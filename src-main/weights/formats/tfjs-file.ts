import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
