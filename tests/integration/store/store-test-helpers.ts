import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { DeltascopeError, type ErrorCode } from '../../../src-main/shared';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * A test file's database: `file` created in a fresh temp folder (`deltascope-<prefix>-…`) now, and
 * closed and removed after all its tests.
 */
export function storeDb(prefix: string, file: string): { db: DeltascopeDb; path: string; dir: string } {
  const temp = makeTempDir(prefix);
  const path = join(temp.dir, file);
  const db = createDatabase(path);
  afterAll(() => {
    db.close();
    temp.cleanup();
  });
  return { db, path, dir: temp.dir };
}

/** sha256 of the whole file: "byte-identical" means this did not change. */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function sideFiles(path: string): string[] {
  return ['-wal', '-shm', '-journal'].map((suffix) => `${path}${suffix}`).filter((side) => existsSync(side));
}

/** Runs `open`, expecting a DeltascopeError with this code whose message names the file. */
export function expectStoreError(
  open: () => unknown,
  code: ErrorCode,
  path: string,
  message?: RegExp,
): DeltascopeError {
  let caught: unknown;
  try {
    open();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DeltascopeError);
  const error = caught as DeltascopeError;
  expect(error.code).toBe(code);
  expect(error.message).toContain(path);
  if (message !== undefined) expect(error.message).toMatch(message);
  return error;
}

/** An experiment and a pretrain run to hang checkpoints and metrics on. */
export function makeRun(db: DeltascopeDb, name = 'run'): number {
  const experiment = db.experiments.findOrCreate('tests');
  return db.runs.create({
    experimentId: experiment.id,
    name,
    phase: 'pretrain',
    reward: { name: 'RA', collect: { cheese: 1 } },
    seed: 0,
  }).id;
}

/** A small valid checkpoint input for `runId`. */
export function smallCheckpoint(runId: number, step = 0) {
  return {
    runId,
    step,
    label: `step ${step}`,
    tensors: [
      { name: 'torso.dense1.kernel', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'torso.dense1.bias', shape: [3], data: Float32Array.from([0.5, -0.5, 0]) },
    ],
    provenance: { kind: 'fixture' as const, description: 'test' },
  };
}
