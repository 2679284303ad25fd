import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { makeRun } from './store-test-helpers';

const temp = makeTempDir('store-multiprocess');
afterAll(() => temp.cleanup());

const CHILD = fileURLToPath(new URL('./metrics-writer-child.ts', import.meta.url));
const WRITER_KEY = 'charts/episodic_return';
const BATCHES = 40;
const BATCH_SIZE = 500;

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('two processes on one file', () => {
  it('lets a worker append metrics while this process reads series and writes too', async () => {
    const path = join(temp.dir, 'shared.deltascope');
    const setup = createDatabase(path);
    const runId = makeRun(setup, 'worker');
    const parentRunId = makeRun(setup, 'ui');
    setup.close();

    const db = openDatabase(path);
    const child = fork(CHILD, [path, String(runId), WRITER_KEY, String(BATCHES), String(BATCH_SIZE)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    const seenLengths = new Set<number>();
    child.on('message', () => {
      // The child is paused halfway: what we read now is exactly its first half, then it resumes.
      seenLengths.add(db.metrics.series(runId, WRITER_KEY).steps.length);
      child.send('continue');
    });

    let reads = 0;
    try {
      while (exitCode === undefined) {
        const { steps, values } = db.metrics.series(runId, WRITER_KEY);
        // Each batch is one transaction, so a reader sees whole batches, in step order.
        expect(steps.length % BATCH_SIZE).toBe(0);
        let firstWrong = -1;
        for (let i = 0; i < steps.length && firstWrong < 0; i++) {
          if (steps[i] !== i || values[i] !== i * 0.5) firstWrong = i;
        }
        expect(firstWrong).toBe(-1);
        seenLengths.add(steps.length);
        db.metrics.append(parentRunId, [{ step: reads, key: 'ui/heartbeat', value: reads }]);
        reads += 1;
        await tick();
      }
    } finally {
      // A failed expectation above must not leave the worker waiting for "continue".
      if (exitCode === undefined) child.kill();
      await exited;
    }

    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    expect(seenLengths.has((BATCHES / 2) * BATCH_SIZE)).toBe(true);
    expect(db.metrics.count(runId)).toBe(BATCHES * BATCH_SIZE);
    expect(db.metrics.series(runId, WRITER_KEY).steps.length).toBe(BATCHES * BATCH_SIZE);
    expect(db.metrics.count(parentRunId)).toBe(reads);
    db.close();
  });
});
