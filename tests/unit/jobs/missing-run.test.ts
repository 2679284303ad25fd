import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeQueueView, explainMissingRun } from '../../../src-main/jobs/missing-run';
import { DeltascopeError } from '../../../src-main/shared/errors';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('missing-run');
afterAll(() => temp.cleanup());

/** A database with runs 1 and 2 (the second cancelled). */
function databaseWithTwoRuns(name: string): DeltascopeDb {
  const db = createDatabase(join(temp.dir, name));
  const experiment = db.experiments.create({ name: 'e' });
  for (const run of ['a', 'b']) {
    db.runs.create({
      experimentId: experiment.id,
      name: run,
      phase: 'pretrain',
      reward: { name: 'RA', collect: { cheese: 1 } },
      seed: 1,
    });
  }
  db.runs.setStatus(2, 'cancelled');
  return db;
}

/** What the store throws when run `id` is looked up and is not there. */
function lookupError(db: DeltascopeDb, id: number): unknown {
  try {
    db.runs.get(id);
  } catch (error) {
    return error;
  }
  throw new Error(`run ${id} exists`);
}

const worker = 'training worker pid 4242 (job-7, started by pid 4100)';

describe("a training worker's missing run", () => {
  it('names the file, the process that looked, what its connection sees and whether it is in WAL mode', () => {
    const db = databaseWithTwoRuns('worker.deltascope');
    try {
      const stat = statSync(db.path);
      const explained = explainMissingRun(lookupError(db, 30), db, {
        runId: 30,
        lookedUpBy: worker,
        openedAt: performance.now() - 40,
      });
      expect(explained).toBeInstanceOf(DeltascopeError);
      const error = explained as DeltascopeError;
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toMatch(
        new RegExp(
          `^There is no run 30 in ${db.path} as seen by the training worker pid 4242 \\(job-7, started by pid 4100\\), ` +
            'though the job queue found or created it there before starting this worker\\. ' +
            `That worker's connection \\(opened \\d+ ms before the lookup\\) sees runs up to #2, in WAL mode ` +
            `\\(file ${stat.dev}:${stat.ino}, -wal \\d+ bytes\\)\\.$`,
        ),
      );
      expect(error.details).toMatchObject({
        kind: 'run',
        id: 30,
        path: db.path,
        lookedUpBy: worker,
        journalMode: 'wal',
        highestRunId: 2,
        file: `${stat.dev}:${stat.ino}`,
      });
      expect(error.details?.connectionAgeMs).toBeGreaterThanOrEqual(40);
    } finally {
      db.close();
    }
  });

  it('leaves every other error as it was', () => {
    const db = databaseWithTwoRuns('other.deltascope');
    try {
      const otherRun = lookupError(db, 31);
      expect(explainMissingRun(otherRun, db, { runId: 30, lookedUpBy: worker, openedAt: 0 })).toBe(otherRun);
      const checkpoint = new DeltascopeError('NOT_FOUND', 'There is no checkpoint 30', {
        kind: 'checkpoint',
        id: 30,
      });
      expect(explainMissingRun(checkpoint, db, { runId: 30, lookedUpBy: worker, openedAt: 0 })).toBe(
        checkpoint,
      );
      const plain = new Error('disk full');
      expect(explainMissingRun(plain, db, { runId: 30, lookedUpBy: worker, openedAt: 0 })).toBe(plain);
    } finally {
      db.close();
    }
  });

  it("adds the queue's own view: the run there after all, or missing there too", () => {
    const db = databaseWithTwoRuns('queue.deltascope');
    try {
      expect(describeQueueView(db, 2)).toMatch(
        new RegExp(
          `^The job queue \\(pid ${process.pid}\\), reopening ${db.path} after the worker failed, sees run 2 ` +
            '\\(status cancelled\\); its connection sees runs up to #2, in WAL mode \\(file \\d+:\\d+, -wal \\d+ bytes\\)\\.$',
        ),
      );
      expect(describeQueueView(db, 30)).toContain(
        'does not see run 30 either; its connection sees runs up to #2',
      );
    } finally {
      db.close();
    }
  });
});
