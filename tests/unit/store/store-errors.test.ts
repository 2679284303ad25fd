import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DeltascopeError } from '../../../src-main/shared';
import { toStoreError } from '../../../src-main/store/store-errors';

const path = '/data/lab/maze.deltascope';

function mapped(code: string, message = 'sqlite says no'): DeltascopeError {
  const error = toStoreError(new Database.SqliteError(message, code), path);
  expect(error).toBeInstanceOf(DeltascopeError);
  return error as DeltascopeError;
}

describe('toStoreError', () => {
  it('maps SQLite result codes to error codes whose messages name the file', () => {
    const cases: [string, string][] = [
      ['SQLITE_BUSY', 'DATABASE_BUSY'],
      ['SQLITE_BUSY_SNAPSHOT', 'DATABASE_BUSY'],
      ['SQLITE_CORRUPT', 'DATABASE_CORRUPT'],
      ['SQLITE_NOTADB', 'DATABASE_CORRUPT'],
      ['SQLITE_IOERR_WRITE', 'IO_ERROR'],
      ['SQLITE_FULL', 'IO_ERROR'],
      ['SQLITE_READONLY', 'IO_ERROR'],
      ['SQLITE_CANTOPEN', 'IO_ERROR'],
      ['SQLITE_CONSTRAINT_UNIQUE', 'INVALID_PAYLOAD'],
      ['SQLITE_TOOBIG', 'INVALID_PAYLOAD'],
      ['SQLITE_MISMATCH', 'INTERNAL'],
    ];
    for (const [sqliteCode, code] of cases) {
      const error = mapped(sqliteCode);
      expect([sqliteCode, error.code]).toEqual([sqliteCode, code]);
      expect(error.message).toContain(path);
      expect(error.details).toMatchObject({ path, sqliteCode });
    }
    expect(mapped('SQLITE_BUSY').message).toMatch(
      /is busy: another process kept it locked for more than 5 s/,
    );
    expect(mapped('SQLITE_FULL').message).toMatch(/the disk is full/);
  });

  it('maps file-system errors and lets everything else through unchanged', () => {
    const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', syscall: 'stat' });
    expect((toStoreError(missing, path) as DeltascopeError).code).toBe('FILE_NOT_FOUND');
    const denied = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open' });
    expect((toStoreError(denied, path) as DeltascopeError).message).toBe(
      `Cannot access ${path}: permission denied.`,
    );
    const own = new DeltascopeError('NOT_FOUND', 'gone');
    expect(toStoreError(own, path)).toBe(own);
    const bug = new TypeError('x is undefined');
    expect(toStoreError(bug, path)).toBe(bug);
  });
});
