import Database from 'better-sqlite3';
import { DeltascopeError } from '../shared/errors';
import { BUSY_TIMEOUT_MS } from './constants';

/**
 * Turns a failure from better-sqlite3 or node:fs into a DeltascopeError whose message names the
 * file; anything else (DeltascopeErrors, programming errors) passes through unchanged.
 */
export function toStoreError(error: unknown, path: string): unknown {
  if (error instanceof Database.SqliteError) return fromSqliteError(error, path);
  if (isFsError(error)) return fromFsError(error, path);
  return error;
}

function fromSqliteError(error: InstanceType<typeof Database.SqliteError>, path: string): DeltascopeError {
  const code = error.code;
  const details = { path, sqliteCode: code };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DeltascopeError(
      'DATABASE_BUSY',
      `${path} is busy: another process kept it locked for more than ${BUSY_TIMEOUT_MS / 1000} s. ` +
        'Try again when the other window or training job has finished writing.',
      details,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new DeltascopeError('DATABASE_CORRUPT', `${path} is damaged (${error.message}).`, details);
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new DeltascopeError(
      'IO_ERROR',
      `Cannot write to ${path}: it is read-only (${error.message}). Check the file's permissions.`,
      details,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new DeltascopeError('IO_ERROR', `Cannot write to ${path}: the disk is full.`, details);
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return new DeltascopeError('IO_ERROR', `Cannot read or write ${path}: ${error.message}.`, details);
  }
  if (code === 'SQLITE_TOOBIG') {
    return new DeltascopeError(
      'INVALID_PAYLOAD',
      `${path} cannot hold a value this large: SQLite stores at most about 1 GB (250 million float32 values) per BLOB.`,
      details,
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new DeltascopeError('INVALID_PAYLOAD', `${path} refused the change: ${error.message}.`, details);
  }
  return new DeltascopeError('INTERNAL', `SQLite failed on ${path}: ${error.message} (${code}).`, details);
}

interface FsError extends Error {
  code: string;
}

function isFsError(error: unknown): error is FsError {
  return error instanceof Error && typeof (error as Partial<FsError>).code === 'string' && 'syscall' in error;
}

function fromFsError(error: FsError, path: string): DeltascopeError {
  const details = { path, fsCode: error.code };
  if (error.code === 'ENOENT') {
    return new DeltascopeError('FILE_NOT_FOUND', `Cannot open ${path}: the file does not exist.`, details);
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return new DeltascopeError('IO_ERROR', `Cannot access ${path}: permission denied.`, details);
  }
  return new DeltascopeError('IO_ERROR', `Cannot read or write ${path}: ${error.message}.`, details);
}
