import { statSync } from 'node:fs';
import { checkWriteTarget, writeFilesSafely, type SafeWriteOptions } from '../../files';
import type { TensorMap } from '../tensor-map';
import { sourceToMap } from '../tensor-source';
import { maxModelFileBytes, tooLarge } from './checked-file';
import { DTYPE_BYTES } from './dtype-codec';
import { writeSafetensors, type ImportedWeights } from './safetensors';
import { openSafetensorsSource, resolveSafetensorsPath } from './safetensors-reader';

/**
 * Reads a .safetensors file or a sharded model folder whole, as float32 (FILE_NOT_FOUND if absent,
 * INVALID_FILE naming the file and the problem if malformed, not regular files, or holding more
 * than the size cap of checked-file.ts). For checkpoints too large to hold, use
 * openSafetensorsSource and read chunks.
 */
export async function readSafetensorsFile(path: string): Promise<ImportedWeights> {
  const source = openSafetensorsSource(path);
  try {
    // Read whole, the model is held in memory: the cap on model files applies to the file, or to
    // a folder's shards together.
    const maxBytes = maxModelFileBytes();
    const resolved = resolveSafetensorsPath(path);
    if (resolved?.kind === 'file') {
      const size = statSync(resolved.path).size;
      if (size > maxBytes) throw tooLarge(resolved.path, size, maxBytes);
    } else {
      const bytes = source.tensors.reduce((sum, t) => sum + t.count * DTYPE_BYTES[t.dtype], 0);
      if (bytes > maxBytes) throw tooLarge(path, bytes, maxBytes, 'its shards hold');
    }
    const sourceDtypes = Object.fromEntries(source.tensors.map((t) => [t.name, t.dtype]));
    return { tensors: sourceToMap(source), metadata: { ...source.metadata }, sourceDtypes };
  } finally {
    source.close();
  }
}

/**
 * Writes tensors as an F32 .safetensors file through the safe writer (src-main/files): the name must
 * end in .safetensors, an existing file is replaced only with `overwrite`, the open database never.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorMap,
  metadata: Record<string, string> = {},
  options: SafeWriteOptions = {},
): Promise<void> {
  const target = { path, extensions: ['.safetensors'] };
  checkWriteTarget(target, options); // before the bytes are built: a refusal should be instant
  await writeFilesSafely([{ target, data: writeSafetensors(tensors, metadata) }], options);
}
