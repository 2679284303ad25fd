import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeForkLauncher, JobQueue, type WorkerLauncher } from '../../../src-main/jobs';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { tinySpec, WORKER_BUNDLE } from './jobs-test-helpers';

/**
 * A protocol training node once failed under load with a bare "There is no run 30": its own run,
 * committed a moment before. Here a real worker is made to look in another file (a copy made before
 * the run existed) — one way that happens — and the job's message must tell the two views apart.
 */

const temp = makeTempDir('jobs-missing-run');
afterAll(() => temp.cleanup());

/** The Node fork launcher, with every job's database path replaced by `elsewhere`. */
function launcherReading(elsewhere: string): WorkerLauncher {
  const inner = createNodeForkLauncher({ entry: WORKER_BUNDLE });
  return {
    name: 'redirecting node-fork',
    launch() {
      const handle = inner.launch();
      return {
        ...handle,
        postMessage: (message) =>
          handle.postMessage(
            message.type === 'start' ? { ...message, job: { ...message.job, dbPath: elsewhere } } : message,
          ),
      };
    },
  };
}

describe('a training worker that cannot find its run', () => {
  it("fails naming the worker's file, process and view, and what the queue sees in its own file", async () => {
    const path = join(temp.dir, 'experiments.deltascope');
    const copy = join(temp.dir, 'copy.deltascope');
    createDatabase(path).close();
    copyFileSync(path, copy);
    const db = openDatabase(path);
    const queue = new JobQueue({ launcher: launcherReading(copy), parallelism: 1 });
    try {
      const { jobId, runId } = queue.startTraining(db, tinySpec());
      const info = await queue.wait(jobId);
      expect(info.state).toBe('failed');
      const copied = statSync(copy);
      expect(info.message).toMatch(
        new RegExp(
          `^There is no run ${runId} in ${copy} as seen by the training worker pid \\d+ \\(${jobId}, started by pid ${process.pid}\\), ` +
            `though the job queue found or created it there before starting this worker\\. That worker's connection ` +
            `\\(opened \\d+ ms before the lookup\\) sees no run at all, in WAL mode \\(file ${copied.dev}:${copied.ino}, -wal \\d+ bytes\\)\\. ` +
            `The job queue \\(pid ${process.pid}\\), reopening ${path} after the worker failed, sees run ${runId} \\(status created\\); ` +
            `its connection sees runs up to #${runId}, in WAL mode`,
        ),
      );
      expect(db.runs.get(runId).status).toBe('failed');
    } finally {
      await queue.dispose();
      db.close();
    }
  }, 60_000);
});
