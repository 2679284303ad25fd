import { migration001 } from './001-initial';
import { migration002 } from './002-artifact-schema-versions';
import { migration003 } from './003-chunked-weights';
import { migration004 } from './004-referenced-checkpoints';
import { assertContiguous, type Migration } from './migration';

export type { Migration } from './migration';

/** Every schema step, oldest first. Append new files here; never reorder or edit released ones. */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004];

assertContiguous(MIGRATIONS);
