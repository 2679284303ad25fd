import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { TaskThread } from '../../../src-main/jobs/task-thread';

/** A worker that answers each task with its request doubled; on close it runs `onClose` (JS source). */
function worker(onClose: string): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => {
       if (m.type === 'close') { ${onClose} }
       else parentPort.postMessage({ id: m.id, type: 'done', result: m.request * 2 });
     });`,
    { eval: true },
  );
}

describe('TaskThread.close', () => {
  it('asks the worker to close and resolves once it has exited on its own', async () => {
    let started: Worker | null = null;
    const thread = new TaskThread<number, number>(() => (started = worker('process.exit(0);')), 'test');
    expect(await thread.run(21, 'double').result).toBe(42);
    const exit = new Promise<number>((resolve) => started!.once('exit', resolve));
    const t0 = performance.now();
    await thread.close(10_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await exit).toBe(0);
    await expect(thread.run(1, 'after close').result).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('terminates a worker that does not exit within the timeout, and still resolves after its exit', async () => {
    let started: Worker | null = null;
    const thread = new TaskThread<number, number>(() => (started = worker('/* ignores it */')), 'test');
    await thread.run(1, 'double').result;
    let exited = false;
    started!.once('exit', () => (exited = true));
    const t0 = performance.now();
    await thread.close(200);
    expect(exited).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('awaits the exit of a worker terminated by cancelling its running task', async () => {
    let started: Worker | null = null;
    const thread = new TaskThread<number, number>(
      () => (started = new Worker('setInterval(() => {}, 1000);', { eval: true })),
      'test',
    );
    const handle = thread.run(1, 'forever');
    await new Promise((resolve) => started!.once('online', resolve));
    let exited = false;
    started!.once('exit', () => (exited = true));
    const outcome = handle.result.catch((error: unknown) => error);
    await thread.close(10_000);
    expect(await outcome).toMatchObject({ code: 'CANCELLED' });
    expect(exited).toBe(true);
  });
});

describe('TaskThread.warm', () => {
  it('starts the worker before the first task, which then runs in it; once only, and not after close', async () => {
    const started: Worker[] = [];
    const thread = new TaskThread<number, number>(() => {
      const made = worker('process.exit(0);');
      started.push(made);
      return made;
    }, 'test');
    thread.warm();
    thread.warm();
    expect(started).toHaveLength(1);
    await new Promise((resolve) => started[0]!.once('online', resolve));
    expect(await thread.run(4, 'double').result).toBe(8);
    expect(started).toHaveLength(1);
    await thread.close(10_000);
    thread.warm();
    expect(started).toHaveLength(1);
  });
});
