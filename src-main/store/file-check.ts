import { fileIdentity, sameFile, type FileIdentity } from '../files';
import { DeltascopeError } from '../shared/errors';
import { readHeaderBytes, readSqliteHeader } from './sqlite-header';

/**
 * Checked before every write transaction: the path still leads to the file that was opened, and that
 * file still starts with a valid SQLite header. SQLite keeps writing to the file it opened even after
 * another program replaced, moved or overwrote it — into a deleted inode, or over someone's HTML —
 * and would report success; this turns that into a clear error and a write that never happens.
 */
export function checkFileBeforeWrite(path: string, opened: FileIdentity): void {
  const now = fileIdentity(path);
  if (now === null) {
    throw changed(path, 'it was deleted or moved by another program since it was opened');
  }
  if (!sameFile(now, opened)) {
    throw changed(path, 'another file was put in its place since it was opened');
  }
  const reading = readSqliteHeader(readHead(path));
  if (reading.kind === 'not-sqlite') {
    throw changed(path, 'it was overwritten: it no longer starts with an SQLite header');
  }
  if (reading.kind === 'damaged') throw changed(path, `its header is damaged (${reading.problem})`);
}

function changed(path: string, what: string): DeltascopeError {
  return new DeltascopeError(
    'DATABASE_CORRUPT',
    `${path} cannot be written: ${what}. Nothing was written. Reopen the database (or restore it from a backup).`,
    { path },
  );
}

function readHead(path: string): Uint8Array {
  try {
    return readHeaderBytes(path);
  } catch {
    return new Uint8Array(0);
  }
}
