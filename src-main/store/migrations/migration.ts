/** One numbered schema step. `sql` runs inside the migration transaction; never edit a released one. */
export interface Migration {
  /** Becomes `PRAGMA user_version` once applied; versions are 1, 2, 3, … without gaps. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Throws if the list is not exactly versions 1..N in order (a programming error, caught by tests). */
export function assertContiguous(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Migration "${migration.name}" has version ${migration.version}; expected ${index + 1} (versions must be 1..N in order).`,
      );
    }
  });
}
