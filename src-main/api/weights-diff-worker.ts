// Entry of the worker thread that diffs large checkpoints off the main event loop (bundled to
// out/main/diff-worker.cjs). Input arrives as workerData: both sides' weights live in
// SharedArrayBuffers, so nothing is copied. Posts progress after each tensor, then the statistics.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorPayload } from '../shared/errors';
import { addTensorDiff, createModelDiff, finishModelDiff, tensorMapFromManifest } from '../weights';
import type { DiffWorkerInput, DiffWorkerMessage } from './weights-diff-messages';

function post(message: DiffWorkerMessage): void {
  parentPort?.postMessage(message);
}

function run(input: DiffWorkerInput): void {
  const a = tensorMapFromManifest(input.a.manifest, input.a.weights, input.labels[0]);
  const b = tensorMapFromManifest(input.b.manifest, input.b.weights, input.labels[1]);
  const state = createModelDiff(input.options);
  const total = input.names.reduce((sum, name) => sum + a.get(name)!.data.length, 0);
  let done = 0;
  for (const name of input.names) {
    const ta = a.get(name)!;
    addTensorDiff(state, ta, b.get(name)!);
    done += ta.data.length;
    post({ type: 'progress', done, total });
  }
  post({ type: 'done', tensors: state.tensors, model: finishModelDiff(state) });
}

try {
  run(workerData as DiffWorkerInput);
} catch (error) {
  post({ type: 'error', error: toErrorPayload(error) });
}
