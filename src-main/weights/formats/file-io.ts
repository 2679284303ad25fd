import { DeltascopeError } from '../../shared/errors';

/** Reads a whole file, turning ENOENT into FILE_NOT_FOUND and other failures into IO_ERROR. */
export async function readFileBytes(
  path: string,
  read: (path: string) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    const bytes = await read(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new DeltascopeError('FILE_NOT_FOUND', `${path} does not exist`, { path });
    if (code === 'EISDIR')
      throw new DeltascopeError('INVALID_FILE', `${path} is a folder, not a file`, { path });
    throw new DeltascopeError('IO_ERROR', `cannot read ${path}: ${(error as Error).message}`, { path });
  }
}
