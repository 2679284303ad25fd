import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
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

export interface MergeSummary {
  target: string;
  merged: number[];
  /** Tasks not merged because they are not done (with their state). */
  missing: { index: number; state: string }[];
  rows: Record<string, number>;
}

export function mergeWorkdir(workdir: string, target: string): MergeSummary {
  const plan = readPlan(workdir);
  const resolvedTarget = path.resolve(target);
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
