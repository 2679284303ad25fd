// Entry of the worker thread that folds large relevance maps off the main event loop (bundled to
// out/main/aggregate-worker.cjs). It opens its own connection to the database file (WAL lets it
// read beside the main process), streams tensor by tensor, posts progress after each tensor, then
// the map's arrays with their buffers transferred. It never writes to the database: the main side
// stores the map. Given a folder (weights.aggregateToFolder), it streams the result into that
// folder instead, posting progress in parameters written at most every PROGRESS_MS.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorPayload } from '../../shared/errors';
import { openDatabase } from '../../store';
import { computeAggregation } from './weights-aggregate';
import { aggregateCheckpointsToFolder } from './weights-aggregate-folder';
import type { AggregateWorkerInput, AggregateWorkerMessage } from './weights-aggregate-messages';

function post(message: AggregateWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

const PROGRESS_MS = 200;

function run(input: AggregateWorkerInput): void {
  const db = openDatabase(input.databasePath, { readOnly: true });
  try {
    if (input.folder !== undefined) {
      let last = 0;
      const result = aggregateCheckpointsToFolder(db, input.folder, (done, total) => {
        const now = performance.now();
        if (done < total && now - last < PROGRESS_MS) return;
        last = now;
        post({ type: 'progress', done, total });
      });
      post({ type: 'written', result });
      return;
    }
    const params = {
      base: input.base,
      deltas: input.deltas,
      nullDelta: input.nullDelta,
      aggregator: input.spec,
    };
    const outputs = computeAggregation(
      (id, name) => db.checkpoints.readTensor(id, name),
      { params, spec: input.spec, names: input.names },
      (done, total) => post({ type: 'progress', done, total }),
    );
    // Each output owns its buffer (aggregateTensor allocates it), so transferring is safe.
    const buffers = [...new Set(outputs.map((o) => o.data.buffer as ArrayBuffer))];
    post({ type: 'done', outputs }, buffers);
  } finally {
    db.close();
  }
}

try {
  run(workerData as AggregateWorkerInput);
} catch (error) {
  post({ type: 'error', error: toErrorPayload(error) });
}
