import { z } from 'zod';
import type { PpoState } from '../engine/ppo';
import { DeltascopeError } from '../shared/errors';

/**
 * A PPO trainer's state ⇄ what a checkpoint row stores: the weights as its tensors, the Adam moments
 * and the pending observations as one float32 BLOB (`optimizer_state`), and everything else (iteration,
 * PRNG states, the env snapshot, success windows) as the JSON `resume_state`. Floats travel as raw
 * float32 bytes, never as decimal text, so a restored trainer continues bit for bit.
 *
 * BLOB layout (little-endian float32): for each optimizer tensor in `optimizer.tensors` order, its m
 * then its v (length values each), then `nextObsLength` observation values.
 */

export const RESUME_FORMAT = 'deltascope.ppo-resume/1';

const uint32 = z.number().int().min(0).max(0xffffffff);
const RngStateSchema = z.object({ s: z.tuple([uint32, uint32, uint32, uint32]) });

export const ResumeStateSchema = z.object({
  format: z.literal(RESUME_FORMAT),
  iteration: z.number().int().nonnegative(),
  globalStep: z.number().int().nonnegative(),
  rng: z.object({ actions: RngStateSchema, minibatches: RngStateSchema }),
  env: z.unknown(),
  successes: z.record(z.string(), z.array(z.number())),
  optimizer: z.object({
    step: z.number().int().nonnegative(),
    tensors: z.array(z.object({ name: z.string().min(1), length: z.number().int().nonnegative() })),
  }),
  nextObsLength: z.number().int().nonnegative(),
  /** Backend the state was produced on; resuming elsewhere continues, but not bit for bit. */
  backend: z.string(),
});
export type ResumeState = z.output<typeof ResumeStateSchema>;

export interface EncodedResume {
  tensors: { name: string; shape: number[]; data: Float32Array }[];
  optimizerState: Uint8Array;
  resumeState: ResumeState;
}

const FLOAT_BYTES = 4;

/** Splits a trainer state into checkpoint tensors, the optimizer BLOB and the resume JSON. */
export function encodeResume(state: PpoState, backend: string): EncodedResume {
  const moments = state.optimizer.moments;
  const floats = moments.reduce((sum, e) => sum + e.m.length + e.v.length, 0) + state.nextObs.length;
  const blob = new Float32Array(floats);
  let offset = 0;
  for (const entry of moments) {
    if (entry.m.length !== entry.v.length) {
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        `optimizer moments of \`${entry.name}\` differ in length (${entry.m.length} vs ${entry.v.length})`,
      );
    }
    blob.set(entry.m, offset);
    blob.set(entry.v, offset + entry.m.length);
    offset += 2 * entry.m.length;
  }
  blob.set(state.nextObs, offset);
  return {
    tensors: state.weights.map((w) => ({ name: w.name, shape: [...w.shape], data: w.data })),
    optimizerState: new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength),
    resumeState: {
      format: RESUME_FORMAT,
      iteration: state.iteration,
      globalStep: state.globalStep,
      rng: { actions: state.rng.actions, minibatches: state.rng.minibatches },
      env: state.env,
      successes: state.successes,
      optimizer: {
        step: state.optimizer.step,
        tensors: moments.map((e) => ({ name: e.name, length: e.m.length })),
      },
      nextObsLength: state.nextObs.length,
      backend,
    },
  };
}

export interface StoredResume {
  checkpointId: number;
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>;
  optimizerState: Uint8Array | null;
  resumeState: unknown;
}

/** Rebuilds a trainer state from a checkpoint's tensors and resume columns; errors name the checkpoint. */
export function decodeResume(stored: StoredResume): { state: PpoState; backend: string } {
  const where = `checkpoint ${stored.checkpointId}`;
  const parsed = ResumeStateSchema.safeParse(stored.resumeState);
  if (!parsed.success) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      stored.resumeState === null
        ? `${where} has no resume state (it was not written by a training job), so training cannot continue from it.`
        : `${where} has an unreadable resume state: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      { checkpointId: stored.checkpointId },
    );
  }
  const resume = parsed.data;
  const expectedFloats =
    resume.optimizer.tensors.reduce((sum, e) => sum + 2 * e.length, 0) + resume.nextObsLength;
  const bytes = stored.optimizerState;
  if (bytes === null || bytes.byteLength !== expectedFloats * FLOAT_BYTES) {
    throw new DeltascopeError(
      'DATABASE_CORRUPT',
      `${where}: the optimizer state holds ${bytes?.byteLength ?? 0} bytes; its resume state describes ${expectedFloats * FLOAT_BYTES}.`,
      { checkpointId: stored.checkpointId },
    );
  }
  // A copy: the BLOB may not start on a 4-byte boundary, and the trainer keeps what it is given.
  const floats = new Float32Array(bytes.slice().buffer);
  let offset = 0;
  const moments = resume.optimizer.tensors.map((e) => {
    const m = floats.subarray(offset, offset + e.length);
    const v = floats.subarray(offset + e.length, offset + 2 * e.length);
    offset += 2 * e.length;
    return { name: e.name, m, v };
  });
  const nextObs = floats.subarray(offset, offset + resume.nextObsLength);
  const weights = [...stored.tensors].map(([name, t]) => ({ name, shape: [...t.shape], data: t.data }));
  return {
    backend: resume.backend,
    state: {
      iteration: resume.iteration,
      globalStep: resume.globalStep,
      weights,
      optimizer: { step: resume.optimizer.step, moments },
      rng: resume.rng,
      env: resume.env,
      nextObs,
      successes: resume.successes,
    },
  };
}
