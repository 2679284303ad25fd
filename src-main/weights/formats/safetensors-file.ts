import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TensorMap } from '../tensor-map';
import { readCheckedFile } from './checked-file';
import { readSafetensors, writeSafetensors, type ImportedWeights } from './safetensors';

/**
 * Reads a .safetensors file (FILE_NOT_FOUND if absent, INVALID_FILE naming it if malformed, not a
 * regular file, or over the size cap of checked-file.ts).
 */
export async function readSafetensorsFile(path: string): Promise<ImportedWeights> {
  return readSafetensors(await readCheckedFile(path), basename(path));
}

/** Writes tensors as an F32 .safetensors file. */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorMap,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFile(path, writeSafetensors(tensors, metadata));
}
