import type Database from 'better-sqlite3';
import { DeltascopeError } from '../shared/errors';
import { DELTASCOPE_APPLICATION_ID } from './constants';
import { MIGRATIONS, type Migration } from './migrations';

/** Versions recorded as applied; a file from before the record holds every version up to its own. */
function appliedVersions(
  db: Database.Database,
  current: number,
  migrations: readonly Migration[],
): Set<number> {
  const recorded = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'deltascope_migrations'")
    .get();
  if (recorded === undefined) {
    db.exec(
      'CREATE TABLE deltascope_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const record = db.prepare(
      'INSERT INTO deltascope_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    const now = new Date().toISOString();
    for (const migration of migrations) {
      if (migration.version <= current) record.run(migration.version, migration.name, now);
    }
  }
  const versions = db.prepare('SELECT version FROM deltascope_migrations').pluck().all() as number[];
  return new Set(versions);
}

/**
 * Applies, in version order, every migration not yet applied to the file, in one IMMEDIATE
 * transaction, records each in `deltascope_migrations`, sets `user_version` to the newest version
 * and stamps the application id. Applied versions are recorded rather than inferred from
 * user_version so that a migration numbered below one already applied (two branches adding 002
 * and 003 in either order) still runs. The record is re-read under the write lock, so two
 * processes opening the same old file at once migrate it exactly once. Returns the versions applied.
 */
export function migrate(
  db: Database.Database,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  const latest = migrations.at(-1)?.version ?? 0;
  const run = db.transaction((): number[] => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > latest) throw schemaTooNew(path, current, latest);
    const applied = appliedVersions(db, current, migrations);
    const pending = migrations.filter((migration) => !applied.has(migration.version));
    const record = db.prepare(
      'INSERT INTO deltascope_migrations (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const migration of pending) {
      db.exec(migration.sql);
      migration.upgrade?.(db);
      record.run(migration.version, migration.name, new Date().toISOString());
    }
    if (current !== latest) db.pragma(`user_version = ${latest}`);
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
