import { copyFileSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkWriteTarget, openDatabaseAt } from '../files';
import type { MergeSummary } from '../shared/contract-cluster';
import { DeltascopeError } from '../shared/errors';
import { openDatabase } from '../store';
import { taskIdRange } from './plan';
import { checkPlanHash, readPlan, readTaskState, taskFile, workdirPaths } from './workdir';

/**
 * `deltascope merge <workdir> --into <file>`: every finished task file → one database the app opens
 * like a local run. Each task's rows keep their ids (they were numbered from the task's own range),
 * so nothing is rewritten; rows already in the target are kept, which makes a second merge a no-op.
 *
 * 1. the target is new (then it starts as the base database) or an earlier merge of this plan;
 * 2. every task file must carry this plan's hash (a foreign file is refused, nothing is merged);
 * 3. the merge is done on a copy of the target next to it, each copied checkpoint's sha256 checked,
 *    and renamed over the target at the end: a crash leaves the target as it was.
 */

export type { MergeSummary };

/**
 * Where a merge may write: never the open database (the app opens the merge in its place when done);
 * an existing regular file (an earlier merge of this plan — the merge checks its hash), or a new
 * `.deltascope` file in an existing folder.
 */
export function checkMergeTarget(target: string): string {
  const open = openDatabaseAt(target);
  if (open !== null) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `Cannot merge into ${target}: it is the open database. Choose another file (or close it first).`,
      { path: target },
    );
  }
  const stats = statSync(target, { throwIfNoEntry: false });
  if (stats === undefined) return checkWriteTarget({ path: target, extensions: ['.deltascope'] });
  if (!stats.isFile()) {
    throw new DeltascopeError('INVALID_PAYLOAD', `Cannot merge into ${target}: it is not a regular file.`, {
      path: target,
    });
  }
  return path.resolve(target);
}

/** Merges the work folder's done tasks into `target`; `onProgress(done, total)` after each task copied. */
export function mergeWorkdir(
  workdir: string,
  target: string,
  onProgress?: (done: number, total: number) => void,
): MergeSummary {
  const plan = readPlan(workdir);
  const resolvedTarget = checkMergeTarget(target);
  const done: number[] = [];
  const missing: { index: number; state: string }[] = [];
  for (const task of plan.tasks) {
    const state = readTaskState(workdir, plan, task.index); // refuses a foreign task file
    if (state.state === 'done') done.push(task.index);
    else missing.push({ index: task.index, state: state.state });
  }
  const temp = `${resolvedTarget}.merge-${process.pid}`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${temp}${suffix}`, { force: true });
  copyFileSync(existsSync(resolvedTarget) ? resolvedTarget : workdirPaths(workdir).base, temp);
  const rows: Record<string, number> = {};
  try {
    const db = openDatabase(temp);
    try {
      checkPlanHash(db, plan, existsSync(resolvedTarget) ? resolvedTarget : workdirPaths(workdir).base);
      const ranges = done.map(taskIdRange);
      for (const [i, index] of done.entries()) {
        const copied = db.copyOwnedRowsFrom(taskFile(workdir, index), ranges[i]!);
        for (const [table, count] of Object.entries(copied)) rows[table] = (rows[table] ?? 0) + count;
        onProgress?.(i + 1, done.length);
      }
      // Every merged checkpoint's weights against its sha256, in one pass over the checkpoint list.
      for (const checkpoint of db.checkpoints.listAll()) {
        if (ranges.some((range) => checkpoint.id >= range.low && checkpoint.id <= range.high))
          db.checkpoints.readWeights(checkpoint.id);
      }
    } finally {
      db.close();
    }
    if (existsSync(`${temp}-wal`)) {
      throw new DeltascopeError(
        'IO_ERROR',
        `${temp} kept its write-ahead log after closing; the merge is not moved into place.`,
      );
    }
    renameSync(temp, resolvedTarget);
  } catch (error) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${temp}${suffix}`, { force: true });
    throw error;
  }
  return { target: resolvedTarget, merged: done, missing, rows };
}
