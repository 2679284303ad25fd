import type Database from 'better-sqlite3';
import { DeltascopeError } from '../shared/errors';
import { DELTASCOPE_APPLICATION_ID } from './constants';
import { MIGRATIONS, type Migration } from './migrations';

/**
 * Brings the schema up to the last of `migrations` in one IMMEDIATE transaction, and stamps the
 * application id. The version is re-read under the write lock, so two processes opening the same
 * old file at once migrate it exactly once. Returns the versions applied.
 */
export function migrate(
  db: Database.Database,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  const latest = migrations.length;
  const run = db.transaction((): number[] => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) throw schemaTooNew(path, current, latest);
    const pending = migrations.filter((migration) => migration.version > current);
    for (const migration of pending) {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    if ((db.pragma('application_id', { simple: true }) as number) !== DELTASCOPE_APPLICATION_ID) {
      db.pragma(`application_id = ${DELTASCOPE_APPLICATION_ID}`);
    }
    return pending.map((migration) => migration.version);
  });
  return run.immediate();
}

export function schemaTooNew(path: string, version: number, latest: number): DeltascopeError {
  return new DeltascopeError(
    'SCHEMA_TOO_NEW',
    `${path} was written by a newer Deltascope (schema v${version}; this version reads up to v${latest}). ` +
      'Update Deltascope to open it.',
    { path, schemaVersion: version, latestSupported: latest },
  );
}
