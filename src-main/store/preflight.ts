import { existsSync, statSync } from 'node:fs';
import { DeltascopeError } from '../shared/errors';
import { DELTASCOPE_APPLICATION_ID, LATEST_SCHEMA_VERSION } from './constants';
import { schemaTooNew } from './migrate';
import { expectedFileSize, readHeaderBytes, readSqliteHeader } from './sqlite-header';
import { openReadOnlyConnection, removeSideFilesWeCreated } from './read-only';
import { toStoreError } from './store-errors';

/**
 * Everything checked before a file is opened for writing. A refused file is left byte-identical and
 * without -wal/-shm files: the header is judged from raw bytes before SQLite sees the file, the
 * remaining checks use a read-only connection, and side files that connection had to create (SQLite
 * needs them to read a WAL-mode file) are removed the way SQLite does on a last close.
 */
export function checkBeforeOpen(path: string): { walMode: boolean } {
  // The WAL is looked at before and after the main file: a connection closing meanwhile checkpoints
  // (header and pages written into the main file) and then deletes its WAL, so a size read before the
  // checkpoint and a header read after it disagree while the WAL seen afterwards is already gone.
  const walBefore = sideFiles(path);
  const fileSize = statFile(path);
  const reading = readSqliteHeader(readHead(path));
  if (reading.kind === 'not-sqlite') {
    const why = fileSize === 0 ? 'the file is empty' : 'it is not an SQLite file';
    throw new DeltascopeError('NOT_A_DATABASE', `${path} is not a Deltascope database: ${why}.`, { path });
  }
  if (reading.kind === 'damaged') throw damaged(path, reading.problem);

  const before = sideFiles(path);
  // Pages newer than the main file's header may sit in a non-empty WAL (or be being checkpointed
  // from one): then only SQLite can judge, so the size check runs only on a file with no WAL content.
  if (!walBefore.walHasContent && !before.walHasContent && walBefore.walSize === before.walSize) {
    const { header } = reading;
    const expected = expectedFileSize(header);
    if (expected !== null && fileSize < expected) {
      throw damaged(path, `truncated: expected ${expected} bytes, found ${fileSize}`);
    }
    checkIdentity(path, header.applicationId, !header.schemaEmpty, header.userVersion);
  }

  try {
    checkWithReadOnlyConnection(path, reading.header.walMode);
  } catch (error) {
    if (!before.walExists && !before.shmExists) removeSideFilesWeCreated(path);
    throw toStoreError(error, path);
  }
  return { walMode: reading.header.walMode };
}

/** Refuses files of other programs and files from a newer Deltascope. */
function checkIdentity(path: string, applicationId: number, hasSchema: boolean, userVersion: number): void {
  if (applicationId !== DELTASCOPE_APPLICATION_ID && (hasSchema || applicationId !== 0)) {
    const owner = applicationId === 0 ? '' : ` (application id 0x${(applicationId >>> 0).toString(16)})`;
    throw new DeltascopeError(
      'NOT_DELTASCOPE',
      `${path} is not a Deltascope database: it is an SQLite database made by another program${owner}.`,
      { path, applicationId },
    );
  }
  if (userVersion > LATEST_SCHEMA_VERSION) throw schemaTooNew(path, userVersion, LATEST_SCHEMA_VERSION);
}

function checkWithReadOnlyConnection(path: string, walMode: boolean): void {
  const connection = openReadOnlyConnection(path, walMode);
  const { db } = connection;
  try {
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const userVersion = db.pragma('user_version', { simple: true }) as number;
    const schemaRows = db.prepare('SELECT COUNT(*) FROM sqlite_schema').pluck().get() as number;
    checkIdentity(path, applicationId, schemaRows > 0, userVersion);
    const problems = (db.pragma('quick_check') as { quick_check: string }[]).map((row) => row.quick_check);
    if (problems.length !== 1 || problems[0] !== 'ok')
      throw damaged(path, `integrity check: ${summarize(problems)}`);
  } finally {
    connection.close();
  }
}

function statFile(path: string): number {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw toStoreError(error, path);
  }
  if (stats.isDirectory()) {
    throw new DeltascopeError('NOT_A_DATABASE', `${path} is not a Deltascope database: it is a folder.`, {
      path,
    });
  }
  return stats.size;
}

function readHead(path: string): Uint8Array {
  try {
    return readHeaderBytes(path);
  } catch (error) {
    throw toStoreError(error, path);
  }
}

interface SideFiles {
  walExists: boolean;
  walSize: number | null;
  walHasContent: boolean;
  shmExists: boolean;
}

function sideFiles(path: string): SideFiles {
  const walSize = sizeOrNull(`${path}-wal`);
  return {
    walExists: walSize !== null,
    walSize,
    walHasContent: (walSize ?? 0) > 0,
    shmExists: existsSync(`${path}-shm`),
  };
}

function sizeOrNull(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

function damaged(path: string, problem: string): DeltascopeError {
  return new DeltascopeError('DATABASE_CORRUPT', `${path} is damaged (${problem}).`, { path });
}

/** The first few quick_check lines, without SQLite's "*** in database main ***" banner. */
function summarize(lines: readonly string[]): string {
  const messages = lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.length > 0 && !line.startsWith('***'));
  const shown = messages.slice(0, 3).join('; ');
  return messages.length > 3 ? `${shown}; and ${messages.length - 3} more problems` : shown;
}
