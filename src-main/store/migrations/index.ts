import { migration001 } from './001-initial';
import { assertContiguous, type Migration } from './migration';

export type { Migration } from './migration';

/** Every schema step, oldest first. Append new files here; never reorder or edit released ones. */
export const MIGRATIONS: readonly Migration[] = [migration001];

assertContiguous(MIGRATIONS);
