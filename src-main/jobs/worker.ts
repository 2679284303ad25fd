// Entry of a training worker process (bundled to out/main/worker.cjs). Started by a WorkerLauncher:
// child_process.fork under Node, Electron's utilityProcess in the app. It waits for one `start`
// message, trains that run against its own connection to the database (WAL lets the UI read
// meanwhile), reports progress, and exits. `cancel`, SIGINT/SIGTERM (Ctrl+C reaches the whole
// process group) and the parent going away all end the run cleanly with a last checkpoint.
import { toErrorPayload } from '../shared/errors';
import { openDatabase, type DeltascopeDb } from '../store';
import { explainMissingRun } from './missing-run';
import { runTraining } from './training-run';
import { ParentMessageSchema, type WorkerJob, type WorkerMessage } from './worker-messages';

interface ParentPort {
  post(message: WorkerMessage): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
}

/** Electron's `process.parentPort` in a utilityProcess, described without importing electron. */
interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort !== undefined) {
    return {
      post: async (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('The Deltascope training worker must be started by the job queue (no IPC channel).');
  }
  return {
    post: (message) =>
      new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        send(message, undefined, {}, () => resolve());
      }),
    onMessage: (listener) => process.on('message', listener),
  };
}

// A worker that never receives its job (a parent that died at once) must not linger.
const START_TIMEOUT_MS = 60_000;

function main(): void {
  const port = connectToParent();
  let cancelled = false;
  let started = false;
  const cancel = (): void => {
    cancelled = true;
  };
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  process.on('disconnect', cancel);
  const idle = setTimeout(() => process.exit(2), START_TIMEOUT_MS);

  port.onMessage((raw) => {
    const parsed = ParentMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    if (parsed.data.type === 'cancel') {
      cancel();
    } else if (!started) {
      started = true;
      clearTimeout(idle);
      void train(parsed.data.job, port, () => cancelled);
    }
  });
}

async function train(job: WorkerJob, port: ParentPort, isCancelled: () => boolean): Promise<void> {
  let db: DeltascopeDb | null = null;
  let openedAt = 0;
  let exitCode = 0;
  try {
    db = openDatabase(job.dbPath);
    openedAt = performance.now();
    const outcome = await runTraining(
      db,
      job.runId,
      { cancelled: isCancelled, yield: () => new Promise((resolve) => setImmediate(resolve)) },
      (event) => void port.post(event),
    );
    await port.post({ type: 'finished', ...outcome });
  } catch (error) {
    exitCode = 1;
    const lookedUpBy = `training worker pid ${process.pid} (${job.jobId}, started by pid ${process.ppid})`;
    const explained =
      db === null ? error : explainMissingRun(error, db, { runId: job.runId, lookedUpBy, openedAt });
    markFailed(db, job.runId);
    await port.post({ type: 'failed', error: toErrorPayload(explained) });
  } finally {
    db?.close();
  }
  process.exit(exitCode);
}

/** Best effort: the run's status says it failed (the database itself may be what failed). */
function markFailed(db: DeltascopeDb | null, runId: number): void {
  try {
    db?.runs.setStatus(runId, 'failed');
  } catch {
    // The parent marks the run when it sees the worker fail.
  }
}

main();
