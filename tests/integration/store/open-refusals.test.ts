import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, truncateSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, LATEST_SCHEMA_VERSION, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { expectStoreError, fileHash, makeRun, sideFiles, smallCheckpoint } from './store-test-helpers';

const temp = makeTempDir('store-refusals');
afterAll(() => temp.cleanup());

let counter = 0;
function freshPath(name: string): string {
  counter += 1;
  return join(temp.dir, `${counter}-${name}`);
}

/** A closed Deltascope file with some data in it (its WAL folded back, no side files). */
function writeDatabaseWithData(path: string): void {
  const db = createDatabase(path);
  const runId = makeRun(db);
  for (let step = 0; step < 4; step++) {
    const data = new Float32Array(4096).map((_, i) => Math.sin(i + step));
    db.checkpoints.put({ ...smallCheckpoint(runId, step), tensors: [{ name: 'w', shape: [64, 64], data }] });
  }
  db.metrics.append(
    runId,
    Array.from({ length: 2000 }, (_, step) => ({ step, key: 'charts/success', value: step / 2000 })),
  );
  db.close();
  expect(sideFiles(path)).toEqual([]);
}

/** Opens `path`, expects the refusal, and checks the file was left exactly as it was. */
function expectUntouchedRefusal(path: string, code: Parameters<typeof expectStoreError>[1], message: RegExp) {
  const before = fileHash(path);
  const error = expectStoreError(() => openDatabase(path), code, path, message);
  expect(fileHash(path)).toBe(before);
  expect(sideFiles(path)).toEqual([]);
  return error;
}

describe('openDatabase refuses files it must not touch', () => {
  it('reports a missing file without creating one', () => {
    const path = freshPath('missing.deltascope');
    expectStoreError(() => openDatabase(path), 'FILE_NOT_FOUND', path, /does not exist/);
    expect(existsSync(path)).toBe(false);
    expect(sideFiles(path)).toEqual([]);
  });

  it('refuses a text file as not an SQLite file', () => {
    const path = freshPath('notes.deltascope');
    writeFileSync(path, 'These are my lab notes, not a database.\n'.repeat(20));
    expectUntouchedRefusal(path, 'NOT_A_DATABASE', /is not a Deltascope database: it is not an SQLite file/);
  });

  it('refuses a PNG-like binary file', () => {
    const path = freshPath('image.deltascope');
    const png = new Uint8Array(4096).map((_, i) => (i * 37) % 256);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
    writeFileSync(path, png);
    expectUntouchedRefusal(path, 'NOT_A_DATABASE', /not an SQLite file/);
  });

  it('refuses an empty file and a folder', () => {
    const empty = freshPath('empty.deltascope');
    writeFileSync(empty, '');
    expectUntouchedRefusal(empty, 'NOT_A_DATABASE', /the file is empty/);
    const folder = freshPath('folder.deltascope');
    mkdirSync(folder);
    expectStoreError(() => openDatabase(folder), 'NOT_A_DATABASE', folder, /it is a folder/);
  });

  it('refuses a truncated database, saying how many bytes are missing', () => {
    const path = freshPath('truncated.deltascope');
    writeDatabaseWithData(path);
    const fullSize = statSync(path).size;
    truncateSync(path, Math.floor(fullSize / 2));
    const error = expectUntouchedRefusal(
      path,
      'DATABASE_CORRUPT',
      /is damaged \(truncated: expected \d+ bytes, found \d+\)/,
    );
    expect(error.message).toContain(`expected ${fullSize} bytes, found ${Math.floor(fullSize / 2)}`);
  });

  it('refuses a database whose pages fail the integrity check, and removes the side files it needed', () => {
    const path = freshPath('scrambled.deltascope');
    writeDatabaseWithData(path);
    const raw = new Database(path);
    const page = raw
      .prepare("SELECT pageno FROM dbstat WHERE name = 'checkpoints' AND pagetype = 'leaf' LIMIT 1")
      .pluck()
      .get() as number;
    const pageSize = raw.pragma('page_size', { simple: true }) as number;
    raw.close();
    // Swap the first two cell pointers of a table leaf: the rows are then out of order.
    const bytes = readFileSync(path);
    const header = (page - 1) * pageSize;
    const first = bytes.readUInt16BE(header + 8);
    bytes.writeUInt16BE(bytes.readUInt16BE(header + 10), header + 8);
    bytes.writeUInt16BE(first, header + 10);
    writeFileSync(path, bytes);
    expectUntouchedRefusal(path, 'DATABASE_CORRUPT', /is damaged \(integrity check: .*out of order/);
  });

  it('refuses an SQLite database made by another program', () => {
    const path = freshPath('other-app.sqlite');
    const raw = new Database(path);
    raw.exec(
      "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO contacts (name) VALUES ('Ada');",
    );
    raw.close();
    expectUntouchedRefusal(
      path,
      'NOT_DELTASCOPE',
      /is not a Deltascope database: it is an SQLite database made by another program/,
    );
  });

  it('refuses another program’s WAL-mode database that carries its own application id', () => {
    const path = freshPath('other-app-wal.sqlite');
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    raw.pragma('application_id = 1234');
    raw.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)');
    raw.close();
    expectUntouchedRefusal(path, 'NOT_DELTASCOPE', /application id 0x4d2/);
  });

  it('refuses a file written by a newer Deltascope and says so', () => {
    const path = freshPath('future.deltascope');
    writeDatabaseWithData(path);
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    expect(sideFiles(path)).toEqual([]);
    const error = expectUntouchedRefusal(path, 'SCHEMA_TOO_NEW', /Update Deltascope to open it\./);
    expect(error.message).toBe(
      `${path} was written by a newer Deltascope (schema v99; this version reads up to v${LATEST_SCHEMA_VERSION}). Update Deltascope to open it.`,
    );
  });

  it('sees a newer schema that another process has written only to the WAL so far', () => {
    const path = freshPath('future-in-wal.deltascope');
    writeDatabaseWithData(path);
    const other = new Database(path);
    other.pragma('wal_autocheckpoint = 0');
    other.pragma('user_version = 42');
    try {
      const before = fileHash(path);
      expectStoreError(() => openDatabase(path), 'SCHEMA_TOO_NEW', path, /schema v42/);
      expect(fileHash(path)).toBe(before);
    } finally {
      other.close();
    }
  });
});

describe('createDatabase', () => {
  it('refuses to overwrite an existing file', () => {
    const path = freshPath('precious.deltascope');
    writeFileSync(path, 'keep me');
    const before = fileHash(path);
    expectStoreError(() => createDatabase(path), 'FILE_EXISTS', path, /already exists/);
    expect(fileHash(path)).toBe(before);
    expect(sideFiles(path)).toEqual([]);
  });

  it('creates missing parent folders', () => {
    const path = join(temp.dir, 'nested', 'deeper', 'new.deltascope');
    const db = createDatabase(path);
    expect(db.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    db.close();
    expect(existsSync(path)).toBe(true);
  });
});
