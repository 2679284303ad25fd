import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { createDatabase, openDatabase, type DeltascopeDb } from '../store';
import type { CliIo } from './command';

/**
 * How a command uses its --db, the one rule for every command:
 * - `read` (info, export, diff): opened read-only — the file is not changed, also in a read-only
 *   folder or file;
 * - `write` (combine, report, eval): an existing database, opened for writing;
 * - `create` (train, run, import; serve does the same): created when the path does not exist yet,
 *   which is said on stderr.
 */
export type DatabaseUse = 'read' | 'write' | 'create';

export function openForCommand(path: string, use: DatabaseUse, io: CliIo): DeltascopeDb {
  if (use === 'read') return openDatabase(path, { readOnly: true });
  if (use === 'write' || existsSync(resolve(path))) return openDatabase(path);
  try {
    const db = createDatabase(path);
    io.err(`Created a new database: ${db.path}`);
    return db;
  } catch (error) {
    // Another process created it between our check and our create: open theirs.
    if (error instanceof DeltascopeError && error.code === 'FILE_EXISTS') return openDatabase(path);
    throw error;
  }
}
