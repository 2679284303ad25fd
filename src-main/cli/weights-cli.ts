import { createWeightsHandlers, type WeightsHandlers } from '../api/weights/weights-handlers';
import type { EventPayload } from '../shared';
import type { CheckpointRef } from '../shared/contract-weights';
import type { DeltascopeDb } from '../store';
import { UsageError, type CliIo } from './command';
import { openForCommand, type DatabaseUse } from './open-database';

/** Shared plumbing of the weights commands (import, export, diff, combine). */

/**
 * `12` or `#12` is a stored checkpoint, `map:5` (or `map:#5`) a stored relevance map (an artifact of
 * weights.aggregate, as `deltascope info` and the report list them); anything else is a model file.
 */
export function parseRef(text: string): CheckpointRef {
  const map = /^map:#?(\d+)$/.exec(text);
  if (map) {
    const artifactId = Number(map[1]);
    if (artifactId < 1) throw new UsageError(`relevance map ids start at 1; got "${text}"`);
    return { artifactId };
  }
  if (text.startsWith('map:'))
    throw new UsageError(`a relevance map is named map:<id>, e.g. map:5; got "${text}"`);
  const match = /^#?(\d+)$/.exec(text);
  if (match) {
    const checkpointId = Number(match[1]);
    if (checkpointId < 1) throw new UsageError(`checkpoint ids start at 1; got "${text}"`);
    return { checkpointId };
  }
  return { file: text };
}

export function parseNumber(value: string, what: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${what} must be a number; got "${value}"`);
  return n;
}

/**
 * Runs `use` with the weights handlers over the database at `dbPath` (or none: calls that need one
 * then fail with NO_DATABASE), opened as `access` says (open-database.ts), printing large-diff
 * progress on a terminal, and closes it after.
 */
export async function withWeights<T>(
  dbPath: string | undefined,
  io: CliIo,
  use: (handlers: WeightsHandlers) => Promise<T>,
  access: DatabaseUse = 'write',
): Promise<T> {
  const db: DeltascopeDb | null = dbPath === undefined ? null : openForCommand(dbPath, access, io);
  let drawn = false;
  const handlers = createWeightsHandlers({
    database: () => {
      if (db === null) throw new UsageError('this needs a database: pass --db <file.deltascope>.');
      return db;
    },
    emit: (event, payload) => {
      if (io.ttyWrite === undefined || event !== 'job.progress') return;
      const p = payload as EventPayload<'job.progress'>;
      io.ttyWrite(`\r${p.label}: ${((100 * p.done) / Math.max(1, p.total)).toFixed(0)}%`);
      drawn = true;
    },
  });
  try {
    return await use(handlers);
  } finally {
    if (drawn) io.ttyWrite?.('\n');
    db?.close();
  }
}
