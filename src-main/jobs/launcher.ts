import type { ParentMessage } from './worker-messages';

/**
 * How the job queue starts a training worker in its own process. The queue knows nothing of the
 * host: under Node it gets `createNodeForkLauncher()` (child_process.fork); in the desktop app,
 * src-main/electron supplies one built on Electron's `utilityProcess.fork` (the only code that may
 * import 'electron'). The worker entry is src-main/jobs/worker.ts, bundled to out/main/worker.cjs.
 */
export interface WorkerHandle {
  /** OS process id, when the process has one (for diagnostics and tests). */
  readonly pid: number | undefined;
  /** Sends one message to the worker (a Node IPC message or a utilityProcess port message). */
  postMessage(message: ParentMessage): void;
  /** Every message the worker sends; the queue validates them. */
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process has ended: its exit code, or the signal that killed it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** Ends the process at once (the queue first asks the worker to cancel cleanly). */
  kill(): void;
}

export interface WorkerLauncher {
  /** Short name for messages, e.g. "node-fork" or "electron-utility". */
  readonly name: string;
  /** Starts a new worker process. Throws if the process cannot be started. */
  launch(): WorkerHandle;
}
