// Entry of the worker thread that diffs large checkpoints off the main event loop (bundled to
// out/main/diff-worker.cjs). Input arrives as workerData: both sides' weights live in
// SharedArrayBuffers, so nothing is copied. Posts progress every chunk, then the statistics.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorPayload } from '../shared/errors';
import {
  accumulateDelta,
  createDeltaAccumulator,
  finishDeltaStats,
  mergeDeltaAccumulators,
  tensorMapFromManifest,
  type TensorDiff,
} from '../weights';
import type { DiffWorkerInput, DiffWorkerMessage } from './weights-diff-messages';

/** Elements per progress step: a single 4096×4096 kernel still reports 4 times. */
const CHUNK = 1 << 22;

function post(message: DiffWorkerMessage): void {
  parentPort?.postMessage(message);
}

/**
 * The same statistics as weights/diff.ts diffCheckpoints, with each tensor fed in chunks: the
 * accumulators merge exactly (Chan's moments, power-of-two histograms), so only progress differs.
 */
function run(input: DiffWorkerInput): void {
  const a = tensorMapFromManifest(input.a.manifest, input.a.weights, input.labels[0]);
  const b = tensorMapFromManifest(input.b.manifest, input.b.weights, input.labels[1]);
  const model = createDeltaAccumulator(input.options);
  const tensors: TensorDiff[] = [];
  const total = input.names.reduce((sum, name) => sum + a.get(name)!.data.length, 0);
  let done = 0;
  for (const name of input.names) {
    const ta = a.get(name)!;
    const tb = b.get(name)!;
    const acc = createDeltaAccumulator(input.options);
    for (let start = 0; start < ta.data.length; start += CHUNK) {
      const end = Math.min(ta.data.length, start + CHUNK);
      accumulateDelta(acc, ta.data.subarray(start, end), tb.data.subarray(start, end));
      done += end - start;
      post({ type: 'progress', done, total });
    }
    mergeDeltaAccumulators(model, acc);
    tensors.push({ name, shape: [...ta.shape], stats: finishDeltaStats(acc) });
  }
  post({ type: 'done', tensors, model: finishDeltaStats(model) });
}

try {
  run(workerData as DiffWorkerInput);
} catch (error) {
  post({ type: 'error', error: toErrorPayload(error) });
}
