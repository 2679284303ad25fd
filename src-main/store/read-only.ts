import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { BUSY_TIMEOUT_MS } from './constants';
import { withNativeBinding } from './native-binding';

/**
 * Read-only connections that leave the file and its folder as they found them. SQLite needs a
 * `-shm` (and `-wal`) file to read a WAL-mode database: a read-only connection creates them when the
 * folder is writable and never deletes them, so they are removed after it closes (when we created
 * them and no one else uses them). On read-only media (a read-only folder or mount) they cannot be
 * created at all; there the database, complete in its main file because no `-wal` exists, is read
 * from an in-memory copy marked as a rollback-journal database.
 */

/** Largest file read into memory on read-only media (Node's Buffer limit is 4 GiB). */
const MAX_IN_MEMORY_BYTES = 2 ** 31;

export interface ReadOnlyConnection {
  readonly db: Database.Database;
  /** Closes the connection and removes the side files it created. */
  close(): void;
}

export function openReadOnlyConnection(path: string, walMode: boolean): ReadOnlyConnection {
  const hadSideFiles = existsSync(`${path}-wal`) || existsSync(`${path}-shm`);
  if (walMode && !hadSideFiles && !folderWritable(path)) {
    const db = inMemoryCopy(path);
    return { db, close: () => db.close() };
  }
  const db = new Database(
    path,
    withNativeBinding({ readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS }),
  );
  return {
    db,
    close: () => {
      if (!db.open) return;
      db.close();
      if (!hadSideFiles) removeSideFilesWeCreated(path);
    },
  };
}

function folderWritable(path: string): boolean {
  try {
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function inMemoryCopy(path: string): Database.Database {
  const size = statSync(path).size;
  if (size > MAX_IN_MEMORY_BYTES) {
    throw new DeltascopeError(
      'IO_ERROR',
      `Cannot read ${path}: its folder is read-only, and a WAL-mode database of ${size} bytes is too large ` +
        'to read without the -shm file SQLite would create beside it. Copy it to a writable folder.',
      { path },
    );
  }
  const bytes = readFileSync(path);
  // File format bytes 18-19: 2 = WAL, 1 = rollback journal. The copy is ours; the file is untouched.
  bytes[18] = 1;
  bytes[19] = 1;
  return new Database(bytes, withNativeBinding({ readonly: true }));
}

/** A read-write connection that reads and closes deletes the WAL and shm, but only if no one else has the file open. */
export function removeSideFilesWeCreated(path: string): void {
  if (!existsSync(`${path}-wal`) && !existsSync(`${path}-shm`)) return;
  try {
    const db = new Database(path, withNativeBinding({ fileMustExist: true, timeout: 0 }));
    try {
      db.prepare('SELECT 1 FROM sqlite_schema LIMIT 1').get();
    } finally {
      db.close();
    }
  } catch {
    // Best effort: leftover side files are harmless to SQLite.
  }
}
