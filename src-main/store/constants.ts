import { MIGRATIONS } from './migrations';

/** `PRAGMA application_id` of every Deltascope file: the ASCII bytes "DSCP". */
export const DELTASCOPE_APPLICATION_ID = 0x44534350;

/** The newest schema this build can read and write (`PRAGMA user_version`). */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;

/** How long a statement waits for another process's lock before giving up with DATABASE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;
