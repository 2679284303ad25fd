import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { COLUMN_TYPES, TABLES, type TableName } from '../../../src-main/store/tables';
import { makeTempDir } from '../../helpers/temp-dir';

/** The one declaration of each table's row (store/tables.ts) is the schema the migrations build. */

const temp = makeTempDir('tables');
afterAll(() => temp.cleanup());

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

/** Each declared column as (name, SQLite type, NOT NULL), in order. */
function declared(table: TableName): [string, string, boolean][] {
  return Object.entries(TABLES[table].shape).map(([name, schema]) => {
    const nullable = (schema as z.ZodType).safeParse(null).success;
    const base = nullable ? (schema as z.ZodNullable<z.ZodType>).unwrap() : (schema as z.ZodType);
    return [name, COLUMN_TYPES.get(base) ?? 'unknown', !nullable];
  });
}

function built(path: string): Map<string, [string, string, boolean][]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    return new Map(
      tables.map((table) => [
        table,
        (db.pragma(`table_info(${table})`) as ColumnInfo[]).map((c): [string, string, boolean] => [
          c.name,
          c.type,
          // An INTEGER PRIMARY KEY is the rowid: never null though not declared NOT NULL.
          c.notnull === 1 || (c.pk === 1 && c.type === 'INTEGER'),
        ]),
      ]),
    );
  } finally {
    db.close();
  }
}

function expectDeclared(path: string): void {
  const tables = built(path);
  expect([...tables.keys()].sort()).toEqual(Object.keys(TABLES).sort());
  for (const table of Object.keys(TABLES) as TableName[]) {
    expect(tables.get(table), table).toEqual(declared(table));
  }
}

describe('the table declarations', () => {
  it('match the schema the migrations build for a new file', () => {
    const path = join(temp.dir, 'new.deltascope');
    createDatabase(path).close();
    expectDeclared(path);
  });

  it('match the schema of a previous-version file after migration', () => {
    const path = join(temp.dir, 'v1.deltascope');
    copyFileSync(join(__dirname, '../../fixtures/previous-version/v1-tiny-5x5.deltascope'), path);
    openDatabase(path).close();
    expectDeclared(path);
  });
});
