import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { fileIdentity } from '../files';

/**
 * What one connection sees of its file, for errors that must tell a missing row from a row this
 * connection cannot see (another file under the same name, a WAL it does not share, a commit it
 * was opened too early for). Reading it never throws: a part that cannot be read is null.
 */
export interface ConnectionReport {
  /** The absolute path the connection was opened with. */
  path: string;
  /** The file behind that path now, as "device:inode" (null when it is gone). */
  file: string | null;
  /** PRAGMA journal_mode of this connection: "wal" when it shares the WAL with other processes. */
  journalMode: string | null;
  /** Bytes in the `-wal` file beside it (null when there is none). */
  walBytes: number | null;
  /** The highest run id this connection sees (0 when it sees no run). */
  highestRunId: number | null;
}

export function connectionReport(db: Database.Database, path: string): ConnectionReport {
  const identity = fileIdentity(path);
  return {
    path,
    file: identity === null ? null : `${identity.dev}:${identity.ino}`,
    journalMode: attempt(() => String(db.pragma('journal_mode', { simple: true }))),
    walBytes: attempt(() => statSync(`${path}-wal`).size),
    highestRunId: attempt(() => Number(db.prepare('SELECT coalesce(max(id), 0) FROM runs').pluck().get())),
  };
}

function attempt<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null;
  }
}
