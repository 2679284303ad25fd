import type Database from 'better-sqlite3';

/** One numbered schema step. It runs inside the migration transaction; never edit a released one. */
export interface Migration {
  /** Versions increase down the list; the newest becomes `PRAGMA user_version`. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Rewrites rows after `sql` ran (data that SQL alone cannot convert), in the same transaction. */
  readonly upgrade?: (db: Database.Database) => void;
}

/**
 * Throws if the list is not in strictly increasing version order from 1 (a programming error, caught
 * by tests). A gap is allowed — a migration numbered in between may land later; the runner records
 * what it applied and runs it then.
 */
export function assertContiguous(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = index === 0 ? 0 : migrations[index - 1]!.version;
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new Error(
        `Migration "${migration.name}" has version ${migration.version}; expected a version above ${previous} (versions must increase).`,
      );
    }
  });
}
