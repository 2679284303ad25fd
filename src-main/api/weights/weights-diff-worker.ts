// Entry of the worker thread that diffs large checkpoints off the main event loop (bundled to
// out/main/diff-worker.cjs). Input arrives as workerData: a file side is re-opened by path and read
// chunk by chunk; an in-memory side's weights live in a SharedArrayBuffer, so nothing is copied.
// Posts progress every chunk, then the statistics.
import { parentPort, workerData } from 'node:worker_threads';
import { toErrorPayload } from '../../shared/errors';
import {
  diffSources,
  mapSource,
  openSafetensorsSource,
  tensorMapFromManifest,
  type TensorSource,
} from '../../weights';
import type { DiffWorkerInput, DiffWorkerMessage, StreamSpec } from './weights-diff-messages';

function post(message: DiffWorkerMessage): void {
  parentPort?.postMessage(message);
}

function open(spec: StreamSpec): TensorSource {
  if (spec.kind === 'file') {
    return openSafetensorsSource(spec.path, spec.expect === undefined ? {} : { expect: spec.expect });
  }
  return mapSource(tensorMapFromManifest(spec.manifest, spec.weights, spec.label), spec.label);
}

function run(input: DiffWorkerInput): void {
  const a = open(input.a);
  try {
    const b = open(input.b);
    try {
      const { tensors, model, peakBytesHeld } = diffSources(a, b, {
        ...input.options,
        partial: input.partial,
        memoryBudgetBytes: input.memoryBudgetBytes,
        onProgress: (done, total) => post({ type: 'progress', done, total }),
      });
      post({ type: 'done', tensors, model, peakBytesHeld });
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

try {
  run(workerData as DiffWorkerInput);
} catch (error) {
  post({ type: 'error', error: toErrorPayload(error) });
}
