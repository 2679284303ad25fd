import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { BUSY_TIMEOUT_MS, LATEST_SCHEMA_VERSION } from './constants';
import { DeltascopeDb } from './database';
import { migrate } from './migrate';
import { checkBeforeOpen } from './preflight';
import { openReadOnlyConnection, type ReadOnlyConnection } from './read-only';
import { withNativeBinding } from './native-binding';
import { toStoreError } from './store-errors';

export interface OpenOptions {
  /**
   * For commands that only read (info, export, diff): open without changing the file — no switch to
   * WAL, no -wal/-shm left behind — also in a read-only folder or file. A file whose schema is older
   * than this version's is upgraded first when it can be written (its tables are read in the new
   * shape), and refused when it cannot. Writes through the returned database are refused.
   */
  readOnly?: boolean;
}

/**
 * Opens an existing .deltascope file. All checks (see preflight.ts) run before the file is opened
 * for writing; only then are WAL mode and pending migrations applied.
 */
export function openDatabase(path: string, options: OpenOptions = {}): DeltascopeDb {
  const target = resolve(path);
  const { walMode } = checkBeforeOpen(target);
  if (options.readOnly === true) {
    const readOnly = openReadOnly(target, walMode);
    if (readOnly !== null) return readOnly;
  }
  return new DeltascopeDb(openReadWrite(target), target);
}

/** A read-only DeltascopeDb, or null when the schema must be upgraded first and the file is writable. */
function openReadOnly(path: string, walMode: boolean): DeltascopeDb | null {
  let connection: ReadOnlyConnection | undefined;
  try {
    connection = openReadOnlyConnection(path, walMode);
    connection.db.pragma('foreign_keys = ON');
    const version = connection.db.pragma('user_version', { simple: true }) as number;
    if (version < LATEST_SCHEMA_VERSION) {
      connection.close();
      if (writable(path)) return null;
      throw new DeltascopeError(
        'IO_ERROR',
        `${path} has schema v${version} and must be upgraded to v${LATEST_SCHEMA_VERSION} before this ` +
          'version can read it, but it is read-only. Open it once where it can be written.',
        { path },
      );
    }
    const opened = connection;
    return new DeltascopeDb(opened.db, path, { readOnly: true, close: () => opened.close() });
  } catch (error) {
    connection?.close();
    throw toStoreError(error, path);
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Creates a new, empty .deltascope file (and its folder); refuses to touch an existing file. */
export function createDatabase(path: string): DeltascopeDb {
  const target = resolve(path);
  try {
    mkdirSync(dirname(target), { recursive: true });
    // 'wx' creates the file or fails if it exists, so two creators cannot both succeed.
    closeSync(openSync(target, 'wx'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DeltascopeError('FILE_EXISTS', `Cannot create ${target}: a file already exists there.`, {
        path: target,
      });
    }
    throw toStoreError(error, target);
  }
  try {
    return new DeltascopeDb(openReadWrite(target), target);
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${target}${suffix}`, { force: true });
    throw error;
  }
}

/** Opens the file, creating it first when it does not exist (the default database). */
export function openOrCreateDatabase(path: string): DeltascopeDb {
  const target = resolve(path);
  if (existsSync(target)) return openDatabase(target);
  try {
    return createDatabase(target);
  } catch (error) {
    // Another process created it between our check and our create: open theirs.
    if (error instanceof DeltascopeError && error.code === 'FILE_EXISTS') return openDatabase(target);
    throw error;
  }
}

/**
 * WAL lets a training worker write while the UI reads; synchronous=NORMAL is the usual WAL pairing
 * (a power cut may lose the last commits, never consistency); busy_timeout makes a second writer wait.
 */
function openReadWrite(path: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, withNativeBinding({ fileMustExist: true, timeout: BUSY_TIMEOUT_MS }));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
    return db;
  } catch (error) {
    db?.close();
    throw toStoreError(error, path);
  }
}
