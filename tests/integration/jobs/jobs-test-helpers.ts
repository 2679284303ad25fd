import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { createNodeForkLauncher, type WorkerHandle, type WorkerLauncher } from '../../../src-main/jobs';
import type { EventName, EventPayload, TrainingSpecInput } from '../../../src-main/shared';

/**
 * The training worker the tests launch: the bundle (out/main/worker.cjs), which the integration
 * project's global setup (tests/helpers/bundle-setup.ts) rebuilds when src-main is newer. It starts in
 * a fraction of the time src-main/jobs/worker.ts takes through tsx (each start compiled the whole
 * engine again: progress-and-parallelism used 18 s of CPU that way, 8 s with the bundle).
 */
export const WORKER_BUNDLE = fileURLToPath(new URL('../../../out/main/worker.cjs', import.meta.url));

/** Env steps of one iteration of tinySpec: 4 envs × 16 steps. */
export const TINY_BATCH = 64;

/** A spec that trains in a second or two: 5×5 maze, 4 envs, a 16-unit MLP, a checkpoint every iteration. */
export function tinySpec(overrides: Partial<TrainingSpecInput> = {}): TrainingSpecInput {
  return {
    experiment: 'jobs-tests',
    run: 'tiny',
    env: { size: 5, kinds: ['cheese', 'coin'], horizon: 16 },
    rewards: [
      { name: 'RA', collect: { cheese: 1 } },
      { name: 'RB', collect: { coin: 1 } },
    ],
    net: { kind: 'mlp', hidden: [16] },
    ppo: {
      numEnvs: 4,
      numSteps: 16,
      numMinibatches: 2,
      updateEpochs: 2,
      learningRate: 0.001,
      successWindow: 50,
    },
    totalSteps: TINY_BATCH * 20,
    seed: 7,
    checkpointEvery: TINY_BATCH,
    ...overrides,
  };
}

/** The Node fork launcher, remembering each job's worker handle (from its start message). */
export function recordingLauncher(): { launcher: WorkerLauncher; handles: Map<string, WorkerHandle> } {
  const inner = createNodeForkLauncher({ entry: WORKER_BUNDLE });
  const handles = new Map<string, WorkerHandle>();
  return {
    handles,
    launcher: {
      name: 'recording node-fork',
      launch() {
        const handle = inner.launch();
        return {
          pid: handle.pid,
          postMessage(message) {
            if (message.type === 'start') handles.set(message.job.jobId, handle);
            handle.postMessage(message);
          },
          onMessage: (listener) => handle.onMessage(listener),
          onExit: (listener) => handle.onExit(listener),
          kill: () => handle.kill(),
        };
      },
    },
  };
}

export interface RecordedEvent<E extends EventName = EventName> {
  event: E;
  payload: EventPayload<E>;
}

/** Collects the queue's events; `onEvent` lets a test act on one as it arrives. */
export function eventRecorder(onEvent?: (recorded: RecordedEvent) => void): {
  events: RecordedEvent[];
  emit: <E extends 'job.progress' | 'job.state'>(event: E, payload: EventPayload<E>) => void;
  progressOf(jobId: string): EventPayload<'job.progress'>[];
  statesOf(jobId: string): string[];
} {
  const events: RecordedEvent[] = [];
  return {
    events,
    emit: (event, payload) => {
      const recorded = { event, payload } as RecordedEvent;
      events.push(recorded);
      onEvent?.(recorded);
    },
    progressOf: (jobId) =>
      events
        .filter((e): e is RecordedEvent<'job.progress'> => e.event === 'job.progress')
        .map((e) => e.payload)
        .filter((p) => p.jobId === jobId),
    statesOf: (jobId) =>
      events
        .filter((e): e is RecordedEvent<'job.state'> => e.event === 'job.state')
        .map((e) => e.payload)
        .filter((p) => p.jobId === jobId)
        .map((p) => p.state),
  };
}

/** SQLite's own full consistency check of the file ("ok" when sound). */
export function integrityCheck(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}
