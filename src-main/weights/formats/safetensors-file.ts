import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { TensorMap } from '../tensor-map';
import { readFileBytes } from './file-io';
import { readSafetensors, writeSafetensors, type ImportedWeights } from './safetensors';

/** Reads a .safetensors file (FILE_NOT_FOUND if absent, INVALID_FILE naming it if malformed). */
export async function readSafetensorsFile(path: string): Promise<ImportedWeights> {
  return readSafetensors(await readFileBytes(path, readFile), basename(path));
}

/** Writes tensors as an F32 .safetensors file. */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorMap,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFile(path, writeSafetensors(tensors, metadata));
}
