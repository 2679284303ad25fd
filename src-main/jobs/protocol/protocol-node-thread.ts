import type { NodeOutputs } from '../../protocol';
import { startWorkerThread, TaskThread, type TaskHandle, type TaskProgress } from '../task-thread';

/**
 * The runner's side of protocol-worker.ts: one worker thread per runner that runs the protocol's
 * non-training nodes one at a time (evaluations and analyses can take minutes; the runner's event
 * loop keeps serving the API, stop() and signals meanwhile). Cancelling terminates the thread at once;
 * closing lets the worker close its database connection first and awaits its exit.
 */

export interface ProtocolWorkerData {
  dbPath: string;
  experimentId: number;
}

export interface ProtocolNodeRequest {
  nodeId: string;
  /** Outputs of the nodes done so far (the worker reads its deps' from them). */
  outputs: [string, NodeOutputs][];
}

export class ProtocolNodeThread {
  private readonly thread: TaskThread<ProtocolNodeRequest, NodeOutputs>;

  constructor(data: ProtocolWorkerData) {
    this.thread = new TaskThread(
      () => startWorkerThread('protocol-worker.cjs', 'jobs/protocol/protocol-worker.ts', 'protocol', data),
      'protocol',
    );
  }

  run(
    nodeId: string,
    outputs: ReadonlyMap<string, NodeOutputs>,
    onProgress: (progress: TaskProgress) => void,
  ): TaskHandle<NodeOutputs> {
    return this.thread.run({ nodeId, outputs: [...outputs] }, `node ${nodeId}`, onProgress);
  }

  /** Ends the running node (its work is not stored) and drops the waiting ones. */
  cancelAll(): void {
    this.thread.cancelAll();
  }

  /** Cancels what runs and resolves once the worker has closed its database and exited. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
