import { z } from 'zod';

/**
 * The messages between the job queue (parent) and a training worker process. Plain JSON data, so
 * they cross a Node IPC channel and an Electron utilityProcess port alike; each side validates what
 * it receives.
 */

/** What a worker is asked to do: train run `runId` of the file at `dbPath`, continuing from its latest checkpoint if it has one. */
export const WorkerJobSchema = z
  .object({
    jobId: z.string().min(1),
    dbPath: z.string().min(1),
    runId: z.number().int().positive(),
  })
  .strict();
export type WorkerJob = z.output<typeof WorkerJobSchema>;

export const ParentMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), job: WorkerJobSchema }).strict(),
  z.object({ type: z.literal('cancel') }).strict(),
]);
export type ParentMessage = z.output<typeof ParentMessageSchema>;

const ErrorPayloadSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  /** Training began: the backend in use and where the run stands. */
  z
    .object({
      type: z.literal('started'),
      backend: z.string(),
      step: z.number().int().nonnegative(),
      totalSteps: z.number().int().positive(),
      resumedFromCheckpointId: z.number().int().positive().nullable(),
    })
    .strict(),
  /** One iteration finished. `latest` holds the latest episodic return and success per reward. */
  z
    .object({
      type: z.literal('progress'),
      step: z.number().int().nonnegative(),
      totalSteps: z.number().int().positive(),
      iteration: z.number().int().nonnegative(),
      numIterations: z.number().int().positive(),
      stepsPerSecond: z.number().nullable(),
      etaSeconds: z.number().nullable(),
      latest: z.record(z.string(), z.number()),
    })
    .strict(),
  z
    .object({
      type: z.literal('checkpoint'),
      checkpointId: z.number().int().positive(),
      step: z.number().int(),
    })
    .strict(),
  /** The run ended: all iterations done, or cancelled after a last checkpoint. */
  z
    .object({
      type: z.literal('finished'),
      state: z.enum(['done', 'cancelled']),
      step: z.number().int().nonnegative(),
      checkpointId: z.number().int().positive().nullable(),
    })
    .strict(),
  z.object({ type: z.literal('failed'), error: ErrorPayloadSchema }).strict(),
]);
export type WorkerMessage = z.output<typeof WorkerMessageSchema>;
