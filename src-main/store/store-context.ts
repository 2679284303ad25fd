import type Database from 'better-sqlite3';
import { toStoreError } from './store-errors';

type AnyStatement = Database.Statement<unknown[], unknown>;

/** What every repository shares: the connection, its file path, cached statements, transactions. */
export class StoreContext {
  private readonly statements = new Map<string, AnyStatement>();

  /**
   * @param beforeWrite runs before each outermost write transaction begins (before SQLite reads the
   *   file again); throwing from it stops the write.
   */
  constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly beforeWrite: () => void = () => {},
  ) {}

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
