import { join } from 'node:path';
import { EventBus } from '../../../src-main/api';
import { createWeightsHandlers } from '../../../src-main/api/weights/weights-handlers';
import type {
  EventPayload,
  MethodName,
  MethodRequest,
  MethodResponse,
  WireEvent,
} from '../../../src-main/shared';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { startApiService, useApiService } from '../../helpers/api-service';

/**
 * A tiny database whose deltas are known exactly (every value a multiple of 1/8, so float32 holds
 * them without rounding):
 *   #A  base:      dense.kernel [3,4] = k/8, dense.bias [4] = 0, conv.kernel [2,2,3,5] = −k/8
 *   #B  A + Δ:     Δ dense.kernel = +0.5 at (1,2) and −0.25 at (2,3); Δ dense.bias = [1, −1, 0, 0];
 *                  Δ conv.kernel = +6 at W[1,0,2,4] (mosaic cell (2·2+1, 4·2+0) = (5, 8)): −5.5 → 0.5, a sign flip
 *   #C  a different model: dense.kernel [4,4], no dense.bias, an extra `head.bias` [2]
 *   #D  A + 2Δ (a second fine-tune along the same direction)
 */
export interface WeightsFixture {
  path: string;
  experimentId: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

export const DENSE_SHAPE = [3, 4];
export const CONV_SHAPE = [2, 2, 3, 5];

function range(n: number, f: (k: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, k) => f(k));
}

export function baseTensors() {
  return [
    { name: 'dense.kernel', shape: DENSE_SHAPE, data: range(12, (k) => k / 8) },
    { name: 'dense.bias', shape: [4], data: new Float32Array(4) },
    { name: 'conv.kernel', shape: CONV_SHAPE, data: range(60, (k) => -k / 8) },
  ];
}

/** Δ as a map of flat index → value per tensor. */
export const DELTA: Record<string, [number, number][]> = {
  'dense.kernel': [
    [1 * 4 + 2, 0.5],
    [2 * 4 + 3, -0.25],
  ],
  'dense.bias': [
    [0, 1],
    [1, -1],
  ],
  // W[y=1, x=0, i=2, o=4] in [kh=2, kw=2, in=3, out=5]: ((1·2 + 0)·3 + 2)·5 + 4
  'conv.kernel': [[((1 * 2 + 0) * 3 + 2) * 5 + 4, 6]],
};

export function shifted(scale: number) {
  return baseTensors().map((t) => {
    const data = t.data.slice();
    for (const [index, value] of DELTA[t.name]!) data[index]! += scale * value;
    return { ...t, data };
  });
}

/**
 * In `db`, the experiment `experimentName` with the pretraining run "base" (reward RA, seed 1) and
 * that run's checkpoint A (baseTensors) at step 0; returns the run's id for more checkpoints.
 */
export function putBaseCheckpoint(
  db: DeltascopeDb,
  experimentName: string,
  config?: Record<string, unknown>,
): { experimentId: number; runId: number; a: number } {
  const experiment = db.experiments.create({ name: experimentName });
  const run = db.runs.create({
    experimentId: experiment.id,
    name: 'base',
    phase: 'pretrain',
    reward: { name: 'RA', collect: { cheese: 1 } },
    seed: 1,
    ...(config === undefined ? {} : { config }),
  });
  const a = db.checkpoints.put({
    runId: run.id,
    step: 0,
    label: 'A',
    tensors: baseTensors(),
    provenance: { kind: 'fixture', description: 'A' },
  }).id;
  return { experimentId: experiment.id, runId: run.id, a };
}

export function writeWeightsDatabase(dir: string): WeightsFixture {
  const path = join(dir, 'weights.deltascope');
  const db = createDatabase(path);
  try {
    const { experimentId, runId, a } = putBaseCheckpoint(db, 'weights-test', {
      note: 'copied to derived runs',
    });
    const put = (
      step: number,
      label: string,
      tensors: { name: string; shape: number[]; data: Float32Array }[],
    ) =>
      db.checkpoints.put({
        runId,
        step,
        label,
        tensors,
        provenance: { kind: 'fixture', description: label },
      }).id;
    const b = put(1, 'B', shifted(1));
    const c = put(2, 'C', [
      { name: 'dense.kernel', shape: [4, 4], data: new Float32Array(16) },
      { name: 'conv.kernel', shape: CONV_SHAPE, data: new Float32Array(60) },
      { name: 'head.bias', shape: [2], data: new Float32Array(2) },
    ]);
    const d = put(3, 'D', shifted(2));
    return { path, experimentId, a, b, c, d };
  } finally {
    db.close();
  }
}

/**
 * Weights handlers over `database` (a second connection) that send every diff and aggregation to a
 * worker thread, handing each event they emit to `onEvent`.
 */
export function workerWeightsHandlers(database: () => DeltascopeDb, onEvent: (event: WireEvent) => void) {
  const bus = new EventBus();
  bus.subscribe(onEvent);
  return createWeightsHandlers({
    database,
    emit: (event, payload) => bus.emit(event, payload),
    diffWorkerThreshold: 0,
    aggregateWorkerThreshold: 0,
  });
}

/** The job.state states and the job.progress payloads among `events`, in order. */
export function jobEvents(events: readonly WireEvent[]): {
  states: string[];
  progress: EventPayload<'job.progress'>[];
} {
  return {
    states: events
      .filter((e) => e.event === 'job.state')
      .map((e) => (e.payload as EventPayload<'job.state'>).state),
    progress: events
      .filter((e) => e.event === 'job.progress')
      .map((e) => e.payload as EventPayload<'job.progress'>),
  };
}

/** An ApiService on `dbPath` whose calls go through dispatch (payload validation included), typed by method. */
export function weightsService(dir: string, dbPath: string) {
  const api = startApiService(dir, { open: dbPath });
  return {
    ...api,
    call: <M extends MethodName>(method: M, params: MethodRequest<M>) =>
      api.call<MethodResponse<M>>(method, params),
    fail: <M extends MethodName>(method: M, params: MethodRequest<M>) => api.fail(method, params),
  };
}

/**
 * For a whole test file: the weights fixture database written in a temp folder (`dir`), an ApiService
 * on it with typed `call`/`fail`, all removed after the file's tests.
 */
export function useWeightsApi(prefix: string) {
  let fixture: WeightsFixture | undefined;
  const api = useApiService(prefix, (dir) => {
    fixture = writeWeightsDatabase(dir);
    return { open: fixture.path };
  });
  return {
    dir: api.dir,
    get fixture(): WeightsFixture {
      if (fixture === undefined) throw new Error('the weights fixture is written in beforeAll');
      return fixture;
    },
    get service() {
      return api.service;
    },
    get events() {
      return api.events;
    },
    call: <M extends MethodName>(method: M, params: MethodRequest<M>) =>
      api.call<MethodResponse<M>>(method, params),
    fail: <M extends MethodName>(method: M, params: MethodRequest<M>) => api.fail(method, params),
  };
}
