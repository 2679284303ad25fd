import { parentPort } from 'node:worker_threads';
import { toErrorPayload } from '../shared/errors';
import type { TaskProgress, TaskReplyMessage, TaskRequestMessage } from './task-thread';

/** At most one progress message per this many milliseconds (plus the last one). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * The worker side of a TaskThread (task-thread.ts): runs each request with `handle`, one at a time
 * in arrival order, and posts its progress (throttled), its result or its error as `{ code, message }`.
 */
export function serveTasks<Req, Res>(
  handle: (request: Req, progress: (progress: TaskProgress) => void) => Res | Promise<Res>,
): void {
  const port = parentPort;
  if (port === null) throw new Error('serveTasks runs in a worker thread');
  const post = (message: TaskReplyMessage<Res>): void => port.postMessage(message);
  let chain: Promise<void> = Promise.resolve();
  port.on('message', ({ id, request }: TaskRequestMessage<Req>) => {
    chain = chain.then(async () => {
      let last = -Infinity;
      const progress = ({ done, total }: TaskProgress): void => {
        const now = performance.now();
        if (now - last < PROGRESS_INTERVAL_MS && done < total) return;
        last = now;
        post({ id, type: 'progress', done, total });
      };
      try {
        post({ id, type: 'done', result: await handle(request, progress) });
      } catch (error) {
        post({ id, type: 'error', error: toErrorPayload(error) });
      }
    });
  });
}
