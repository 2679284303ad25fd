// Entry of the worker thread that folds large relevance maps off the main event loop (bundled to
// out/main/aggregate-worker.cjs). It opens its own connection to the database file (WAL lets it
// read beside the main process), streams tensor by tensor, posts progress after each tensor, then
// the map's arrays with their buffers transferred. It never writes: the main side stores the map.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorPayload } from '../../shared/errors';
import { openDatabase } from '../../store';
import { computeAggregation } from './weights-aggregate';
import type { AggregateWorkerInput, AggregateWorkerMessage } from './weights-aggregate-messages';

function post(message: AggregateWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

function run(input: AggregateWorkerInput): void {
  const db = openDatabase(input.databasePath, { readOnly: true });
  try {
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
