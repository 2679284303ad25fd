import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  DELTASCOPE_APPLICATION_ID,
  LATEST_SCHEMA_VERSION,
  openDatabase,
  openOrCreateDatabase,
} from '../../../src-main/store';
import { migrate } from '../../../src-main/store/migrate';
import { MIGRATIONS } from '../../../src-main/store/migrations';
import { assertContiguous } from '../../../src-main/store/migrations/migration';
import { makeTempDir } from '../../helpers/temp-dir';
import { makeRun, smallCheckpoint } from './store-test-helpers';

const temp = makeTempDir('store-migrations');
afterAll(() => temp.cleanup());

function pragma(path: string, name: string): unknown {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.pragma(name, { simple: true });
  } finally {
    raw.close();
  }
}

describe('schema migrations', () => {
  it('builds the latest schema in a new file, stamped as a Deltascope WAL database', () => {
    const path = join(temp.dir, 'new.deltascope');
    const db = createDatabase(path);
    expect(db.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    db.close();

    const raw = new Database(path, { readonly: true });
    const tables = raw
      .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all() as {
      name: string;
      sql: string;
    }[];
    expect(tables.map((table) => table.name)).toEqual([
      'artifacts',
      'checkpoint_chunks',
      'checkpoint_references',
      'checkpoints',
      'deltascope_migrations',
      'experiments',
      'metrics',
      'runs',
    ]);
    expect(tables.find((table) => table.name === 'metrics')?.sql).toMatch(
      /PRIMARY KEY \(run_id, key, step\)\s*\) WITHOUT ROWID/,
    );
    expect(raw.pragma('application_id', { simple: true })).toBe(DELTASCOPE_APPLICATION_ID);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('re-opens a file with its data and without changing its version', () => {
    const path = join(temp.dir, 'reopen.deltascope');
    const first = createDatabase(path);
    const runId = makeRun(first, 'MA');
    const checkpoint = first.checkpoints.put(smallCheckpoint(runId, 10));
    first.close();

    const second = openDatabase(path);
    expect(second.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(second.runs.get(runId).name).toBe('MA');
    expect(second.checkpoints.get(checkpoint.id).sha256).toBe(checkpoint.sha256);
    second.close();
    expect(pragma(path, 'user_version')).toBe(LATEST_SCHEMA_VERSION);
  });

  it('adopts an SQLite file that has no tables yet', () => {
    const path = join(temp.dir, 'blank.sqlite');
    const raw = new Database(path);
    raw.exec('CREATE TABLE scratch (x); DROP TABLE scratch;');
    raw.close();
    const db = openDatabase(path);
    expect(db.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect(db.experiments.list()).toEqual([]);
    db.close();
    expect(pragma(path, 'application_id')).toBe(DELTASCOPE_APPLICATION_ID);
  });

  it('openOrCreateDatabase creates the default file once and re-opens it afterwards', () => {
    const path = join(temp.dir, 'app-data', 'default.deltascope');
    const created = openOrCreateDatabase(path);
    created.experiments.create({ name: 'kept' });
    created.close();
    const reopened = openOrCreateDatabase(path);
    expect(reopened.experiments.list().map((experiment) => experiment.name)).toEqual(['kept']);
    reopened.close();
  });

  it('applies a later numbered migration on top of existing data', () => {
    const path = join(temp.dir, 'upgrade.deltascope');
    const db = createDatabase(path);
    makeRun(db, 'before-upgrade');
    db.close();

    const raw = new Database(path);
    const next = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'run-notes',
      sql: "ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''",
    };
    expect(migrate(raw, path, [...MIGRATIONS, next])).toEqual([next.version]);
    expect(migrate(raw, path, [...MIGRATIONS, next])).toEqual([]);
    expect(raw.pragma('user_version', { simple: true })).toBe(next.version);
    expect(raw.prepare('SELECT name, note FROM runs').all()).toEqual([{ name: 'before-upgrade', note: '' }]);
    raw.close();
  });

  it('rolls a failing migration back completely, leaving the old version', () => {
    const path = join(temp.dir, 'failed-upgrade.deltascope');
    createDatabase(path).close();
    const raw = new Database(path);
    const broken = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x); SELECT nope FROM missing;',
    };
    expect(() => migrate(raw, path, [...MIGRATIONS, broken])).toThrow(/no such table: missing/);
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(raw.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(0);
    raw.close();
  });

  it('rejects a migration list whose versions do not increase', () => {
    expect(() => assertContiguous([MIGRATIONS[0]!, { version: 1, name: 'again', sql: '' }])).toThrow(
      /has version 1; expected a version above 1/,
    );
  });

  it('applies a migration numbered below one already applied (two branches landing 002 and 003)', () => {
    const path = join(temp.dir, 'gap.deltascope');
    createDatabase(path).close();
    const raw = new Database(path);
    const filler = { version: LATEST_SCHEMA_VERSION + 2, name: 'later', sql: 'CREATE TABLE later (x)' };
    expect(migrate(raw, path, [...MIGRATIONS, filler])).toEqual([filler.version]);
    const between = { version: LATEST_SCHEMA_VERSION + 1, name: 'between', sql: 'CREATE TABLE between_ (x)' };
    expect(migrate(raw, path, [...MIGRATIONS, between, filler])).toEqual([between.version]);
    expect(migrate(raw, path, [...MIGRATIONS, between, filler])).toEqual([]);
    expect(raw.pragma('user_version', { simple: true })).toBe(filler.version);
    expect(raw.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'between_'").pluck().get()).toBe(1);
    raw.close();
  });
});
