import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { BUSY_TIMEOUT_MS } from './constants';
import { DeltascopeDb } from './database';
import { migrate } from './migrate';
import { checkBeforeOpen } from './preflight';
import { withNativeBinding } from './native-binding';
import { toStoreError } from './store-errors';

/**
 * Opens an existing .deltascope file. All checks (see preflight.ts) run before the file is opened
 * for writing; only then are WAL mode and pending migrations applied.
 */
export function openDatabase(path: string): DeltascopeDb {
  const target = resolve(path);
  checkBeforeOpen(target);
  return new DeltascopeDb(openReadWrite(target), target);
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
