import type Database from 'better-sqlite3';
import { DeltascopeError } from '../shared/errors';

/**
 * Copying the rows one writer owns from another .deltascope file: the merge of cluster task files
 * (src-main/cluster). A task numbers its new rows from its own id range (StoreContext.idFloor), so a
 * row's id says which task wrote it and the copy keeps every id — references inside JSON columns
 * (node outputs, recipes, run configs) stay valid without any rewriting.
 */

export interface IdRange {
  /** Smallest id of the range (inclusive). */
  low: number;
  /** Largest id of the range (inclusive). */
  high: number;
}

/** Rows copied per table. */
export type RowCounts = Record<string, number>;

/**
 * Which rows of each table belong to an id range, and whether their own id is kept. Tables with
 * ids that JSON elsewhere refers to (runs, checkpoints, artifacts) keep them; a checkpoint's chunks
 * and a run's metrics go with their parent (chunk ids are referred to by nothing, so the target
 * numbers them; their unique (checkpoint, tensor, chunk) key makes a second copy a no-op).
 * `experiments` is never copied: every task file starts from the same experiment row; the
 * migration log is the file's own. A table not listed here cannot be merged (a new table must say how).
 */
const OWNERSHIP: Record<string, { owner: string; keepId: boolean } | null> = {
  experiments: null,
  deltascope_migrations: null,
  runs: { owner: 'id', keepId: true },
  checkpoints: { owner: 'id', keepId: true },
  artifacts: { owner: 'id', keepId: true },
  metrics: { owner: 'run_id', keepId: true },
  checkpoint_chunks: { owner: 'checkpoint_id', keepId: false },
  checkpoint_references: { owner: 'checkpoint_id', keepId: true },
};

function ownershipOf(table: string): { owner: string; keepId: boolean } | null {
  const rule = OWNERSHIP[table];
  if (rule === undefined) {
    throw new DeltascopeError(
      'INTERNAL',
      `table ${table} has no merge rule (store/row-copy.ts OWNERSHIP), so its rows cannot be merged.`,
    );
  }
  return rule;
}

function userTables(db: Database.Database, schema: 'main' | 'src'): string[] {
  return (
    db
      .prepare(
        `SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
      )
      .all() as { name: string }[]
  ).map((row) => row.name);
}

function columnsOf(db: Database.Database, schema: 'main' | 'src', table: string): string[] {
  return (
    db.prepare(`PRAGMA ${schema}.table_info(${JSON.stringify(table)})`).all() as { name: string }[]
  ).map((row) => row.name);
}

/**
 * Copies the rows of `sourcePath` that `range` owns into `db` (INSERT OR IGNORE: a row already there
 * is kept, so copying twice changes nothing), in one transaction with foreign keys checked at commit.
 * Both files must have the same schema version. Returns the rows copied per table.
 */
export function copyOwnedRows(db: Database.Database, sourcePath: string, range: IdRange): RowCounts {
  db.prepare('ATTACH DATABASE ? AS src').run(sourcePath);
  try {
    const sourceVersion = db.pragma('src.user_version', { simple: true }) as number;
    const targetVersion = db.pragma('main.user_version', { simple: true }) as number;
    if (sourceVersion !== targetVersion) {
      throw new DeltascopeError(
        'INVALID_FILE',
        `${sourcePath} has schema v${sourceVersion} and the target v${targetVersion}: open it once with this version of Deltascope first.`,
        { path: sourcePath },
      );
    }
    const copied: RowCounts = {};
    const copy = db.transaction(() => {
      db.pragma('defer_foreign_keys = ON');
      for (const table of userTables(db, 'main')) {
        const rule = ownershipOf(table);
        if (rule === null) continue;
        const columns = columnsOf(db, 'main', table).filter((column) => rule.keepId || column !== 'id');
        const list = columns.map((column) => `"${column}"`).join(', ');
        const where = `"${rule.owner}" BETWEEN ? AND ?`;
        const result = db
          .prepare(
            `INSERT OR IGNORE INTO main."${table}" (${list}) SELECT ${list} FROM src."${table}" WHERE ${where}`,
          )
          .run(range.low, range.high);
        copied[table] = result.changes;
        // A row kept because one with its key was already there must be that same row, not another
        // writer's: the range's rows in the target must be exactly the source's.
        const count = (schema: 'main' | 'src'): number =>
          (
            db
              .prepare(`SELECT count(*) AS n FROM ${schema}."${table}" WHERE ${where}`)
              .get(range.low, range.high) as { n: number }
          ).n;
        if (count('main') !== count('src')) {
          throw new DeltascopeError(
            'DATABASE_CORRUPT',
            `merging ${sourcePath}: the target already holds other ${table} rows in ids ${range.low}–${range.high} (${count('main')} there, ${count('src')} in the task file); nothing was merged.`,
            { path: sourcePath, table },
          );
        }
      }
    });
    copy.immediate();
    return copied;
  } finally {
    db.prepare('DETACH DATABASE src').run();
  }
}
