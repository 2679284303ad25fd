import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DeltascopeError, fromErrorPayload, type ErrorPayload } from '../shared/errors';

/**
 * CPU-heavy work (evaluations, analyses, report baselines) off the caller's event loop: a
 * `TaskThread` keeps one worker thread and runs tasks in it one at a time, in order. The worker is
 * started on the first task (it loads its modules, and tfjs when it evaluates, once) and stays, unref'd
 * while idle so it never keeps the process alive. Cancelling the running task terminates the worker —
 * V8 stops even a tight synchronous loop at once — and the next task starts a fresh one. `close()`
 * ends the worker gracefully: it is asked to close (its SQLite connection among others, so the WAL is
 * folded back before anyone reopens the file) and awaited; terminated only when it does not exit in
 * time. The worker side is `serveTasks` (task-thread-worker.ts).
 */

/** How long close() waits for a worker to close its resources and exit before terminating it. */
export const CLOSE_TIMEOUT_MS = 5_000;

export interface TaskProgress {
  done: number;
  total: number;
}

/** Parent → worker: a task to run. */
export interface TaskRequestMessage<Req> {
  id: number;
  request: Req;
}

/** Parent → worker: close your resources and exit (sent once no task is running). */
export interface TaskCloseMessage {
  type: 'close';
}

export type TaskParentMessage<Req> = TaskRequestMessage<Req> | TaskCloseMessage;

/** Worker → parent. */
export type TaskReplyMessage<Res> =
  | ({ id: number; type: 'progress' } & TaskProgress)
  | { id: number; type: 'done'; result: Res }
  | { id: number; type: 'error'; error: ErrorPayload };

export interface TaskHandle<Res> {
  id: number;
  result: Promise<Res>;
  /** Ends the task: a queued one is dropped, a running one's worker is terminated; `result` rejects with CANCELLED. */
  cancel(): void;
}

interface Pending<Req, Res> {
  id: number;
  request: Req;
  label: string;
  onProgress: ((progress: TaskProgress) => void) | undefined;
  resolve: (value: Res) => void;
  reject: (error: DeltascopeError) => void;
}

export class TaskThread<Req, Res> {
  private worker: Worker | null = null;
  private current: Pending<Req, Res> | null = null;
  private readonly queue: Pending<Req, Res>[] = [];
  private sequence = 0;
  private closed = false;
  /** Exits of workers being terminated or closed; close() awaits them. */
  private readonly stopping = new Set<Promise<void>>();

  /** `start` makes the worker (see startWorkerThread); `what` names it in errors. */
  constructor(
    private readonly start: () => Worker,
    private readonly what: string,
  ) {}

  /** Tasks running or waiting. */
  get load(): number {
    return this.queue.length + (this.current === null ? 0 : 1);
  }

  run(request: Req, label: string, onProgress?: (progress: TaskProgress) => void): TaskHandle<Res> {
    const id = ++this.sequence;
    const result = new Promise<Res>((resolve, reject) => {
      if (this.closed) {
        reject(new DeltascopeError('CANCELLED', `${label}: the ${this.what} thread has been closed.`));
        return;
      }
      this.queue.push({ id, request, label, onProgress, resolve, reject });
    });
    this.pump();
    return { id, result, cancel: () => this.cancel(id) };
  }

  /**
   * Starts the worker now, idle (unref'd), so the first task does not wait for it to load its modules;
   * nothing when it runs already or the thread is closed. A worker that cannot start fails the first task.
   */
  warm(): void {
    if (this.closed || this.worker !== null) return;
    try {
      this.startWorker().unref();
    } catch {
      // The first task starts it again and reports why it cannot.
    }
  }

  /** Cancels task `id`; false when it is neither running nor waiting. */
  cancel(id: number): boolean {
    const at = this.queue.findIndex((task) => task.id === id);
    if (at >= 0) {
      const [task] = this.queue.splice(at, 1);
      task!.reject(cancelled(task!.label));
      return true;
    }
    if (this.current?.id !== id) return false;
    const task = this.current;
    this.current = null;
    this.stopWorker();
    task.reject(cancelled(task.label));
    this.pump();
    return true;
  }

  /** Cancels every task. */
  cancelAll(): void {
    for (const task of this.queue.splice(0)) task.reject(cancelled(task.label));
    if (this.current !== null) this.cancel(this.current.id);
  }

  /**
   * Cancels every task and ends the worker; later tasks are refused. Resolves once every worker this
   * thread started has exited, so the caller may reopen (or delete) the files the worker had open.
   */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    this.closed = true;
    this.cancelAll();
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) this.track(closeGracefully(worker, timeoutMs));
    await Promise.all([...this.stopping]);
  }

  private pump(): void {
    if (this.current !== null || this.queue.length === 0) return;
    const task = this.queue.shift()!;
    this.current = task;
    let worker: Worker;
    try {
      worker = this.worker ?? this.startWorker();
    } catch (error) {
      this.current = null;
      task.reject(error instanceof DeltascopeError ? error : new DeltascopeError('INTERNAL', String(error)));
      this.pump();
      return;
    }
    worker.ref();
    const message: TaskParentMessage<Req> = { id: task.id, request: task.request };
    worker.postMessage(message);
  }

  private startWorker(): Worker {
    const worker = this.start();
    this.worker = worker;
    worker.on('message', (message: TaskReplyMessage<Res>) => this.onMessage(message));
    worker.on('error', (error) => this.onWorkerEnd(worker, `failed: ${error.message}`));
    worker.on('exit', (code) => this.onWorkerEnd(worker, `exited (code ${code})`));
    return worker;
  }

  private onMessage(message: TaskReplyMessage<Res>): void {
    const task = this.current;
    if (task === null || message.id !== task.id) return;
    if (message.type === 'progress') {
      task.onProgress?.({ done: message.done, total: message.total });
      return;
    }
    this.current = null;
    if (this.queue.length === 0) this.worker?.unref();
    if (message.type === 'done') task.resolve(message.result);
    else task.reject(fromErrorPayload(message.error));
    this.pump();
  }

  /** The worker died on its own: the running task fails; the next one starts a new worker. */
  private onWorkerEnd(worker: Worker, how: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const task = this.current;
    this.current = null;
    task?.reject(new DeltascopeError('INTERNAL', `${task.label}: the ${this.what} thread ${how}.`));
    this.pump();
  }

  /** Terminates the worker at once (a cancelled task); close() still awaits its exit. */
  private stopWorker(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) this.track(worker.terminate().then(() => undefined));
  }

  private track(exit: Promise<void>): void {
    const tracked = exit.catch(() => undefined).finally(() => this.stopping.delete(tracked));
    this.stopping.add(tracked);
  }
}

/**
 * Asks an idle worker to close and exit, and resolves when it has exited; terminates it when it has
 * not within `timeoutMs` (a worker stuck in a loop, or one that does not serve close messages).
 */
export function closeGracefully(worker: Worker, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    // Keeps the process alive until the worker has closed its files (an idle worker is unref'd).
    worker.ref();
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    const message: TaskCloseMessage = { type: 'close' };
    worker.postMessage(message);
  });
}

function cancelled(label: string): DeltascopeError {
  return new DeltascopeError('CANCELLED', `${label} was cancelled.`);
}

function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

/**
 * Starts a worker thread: `<bundled>` next to the bundle (out/main) — or in `DELTASCOPE_WORKER_DIR`
 * when set (the integration tests run the sources but start the bundled workers, which load in a
 * fraction of the time tsx takes to compile them) — or from source (tsx scripts) `src-main/<source>`
 * through tsx. `what` names it in the error when neither exists.
 */
export function startWorkerThread(
  bundled: string,
  source: string,
  what: string,
  workerData: unknown,
): Worker {
  const dir = moduleDir();
  const bundledPath = join(process.env.DELTASCOPE_WORKER_DIR || dir, bundled);
  if (existsSync(bundledPath)) return new Worker(bundledPath, { workerData });
  const sourcePath = join(dir, '..', source);
  if (!existsSync(sourcePath)) {
    throw new DeltascopeError(
      'INTERNAL',
      `The ${what} worker is missing: neither ${bundledPath} nor ${sourcePath} exists. Run \`node scripts/build-main.mjs\`.`,
    );
  }
  // A worker's execArgv cannot load tsx in Node 20: a bootstrap registers it, then imports the source.
  const tsxPackage = createRequire(join(dir, 'noop.js')).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(
    pathToFileURL(sourcePath).href,
  )}); });`;
  return new Worker(code, { eval: true, workerData });
}
