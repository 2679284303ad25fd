import type Database from 'better-sqlite3';
import { toStoreError } from './store-errors';

type AnyStatement = Database.Statement<unknown[], unknown>;

/** What every repository shares: the connection, its file path, cached statements, transactions. */
export class StoreContext {
  private readonly statements = new Map<string, AnyStatement>();
  /** New rows of runs, checkpoints and artifacts get ids above this (see idFloorFromEnv). */
  readonly idFloor: number;

  /**
   * @param beforeWrite runs before each outermost write transaction begins (before SQLite reads the
   *   file again); throwing from it stops the write.
   */
  constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly beforeWrite: () => void = () => {},
  ) {
    this.idFloor = idFloorFromEnv();
  }

  /**
   * SQL for the id of a new row of `table`: one more than the largest id, and above the floor.
   * With floor 0 this is SQLite's own choice for an INTEGER PRIMARY KEY; its one parameter is the floor.
   */
  static nextIdSql(table: 'runs' | 'checkpoints' | 'artifacts' | 'checkpoint_chunks'): string {
    return `(SELECT max(coalesce(max(id), 0), ?) + 1 FROM ${table})`;
  }

  /** A prepared statement, compiled once per connection. */
  statement(sql: string): AnyStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn`, turning SQLite and file-system failures into DeltascopeErrors that name the file. */
  run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }

  /**
   * A write transaction. BEGIN IMMEDIATE takes the write lock first, so a concurrent writer makes us
   * wait (busy_timeout) rather than fail with SQLITE_BUSY_SNAPSHOT when a read turns into a write.
   * Nested calls become savepoints of the outer transaction.
   */
  write<T>(fn: () => T): T {
    return this.run(() => {
      if (!this.db.inTransaction) this.beforeWrite();
      return this.db.transaction(fn).immediate();
    });
  }

  /** Several reads that must see one consistent snapshot. */
  read<T>(fn: () => T): T {
    return this.run(() => this.db.transaction(fn).deferred());
  }
}

/**
 * A cluster task (src-main/cluster) writes only its own database file, and every row it adds must
 * keep its id when the task files are merged into one database. So each task's process (and the
 * training workers and threads it starts, which inherit the environment) numbers its new rows from
 * its own range: DELTASCOPE_ID_FLOOR=<n> makes new ids exceed n. Unset: 0 (SQLite's usual ids).
 */
export const ID_FLOOR_ENV = 'DELTASCOPE_ID_FLOOR';

function idFloorFromEnv(): number {
  const text = process.env[ID_FLOOR_ENV];
  if (text === undefined || text === '') return 0;
  const floor = Number(text);
  if (!Number.isSafeInteger(floor) || floor < 0) {
    throw new Error(`${ID_FLOOR_ENV} must be a non-negative integer; got "${text}".`);
  }
  return floor;
}
