import { parentPort } from 'node:worker_threads';
import { toErrorPayload } from '../shared/errors';
import type { TaskParentMessage, TaskProgress, TaskReplyMessage } from './task-thread';

/** At most one progress message per this many milliseconds (plus the last one). */
const PROGRESS_INTERVAL_MS = 100;

/**
 * The worker side of a TaskThread (task-thread.ts): runs each request with `handle`, one at a time
 * in arrival order, and posts its progress (throttled), its result or its error as `{ code, message }`.
 * On the parent's close message it runs `onClose` (close the database: the last connection to close
 * folds the WAL back into the file) after the tasks before it, then ends the thread.
 */
export function serveTasks<Req, Res>(
  handle: (request: Req, progress: (progress: TaskProgress) => void) => Res | Promise<Res>,
  onClose?: () => void,
): void {
  const port = parentPort;
  if (port === null) throw new Error('serveTasks runs in a worker thread');
  const post = (message: TaskReplyMessage<Res>): void => port.postMessage(message);
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (message: TaskParentMessage<Req>) => {
    if ('type' in message) {
      chain = chain.then(() => {
        try {
          onClose?.();
        } finally {
          // Ends this thread only (not the process), now that its files are closed.
          process.exit(0);
        }
      });
      return;
    }
    const { id, request } = message;
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
