import { createNodeForkLauncher, JobQueue, parseTrainingSpec, type JobStarted } from '../jobs';
import { DeltascopeError, type EventPayload, type JobInfo } from '../shared';
import type { DeltascopeDb } from '../store';
import { readSpecFile } from './spec-file';
import { UsageError, type CliIo } from './command';
import { defineCommand } from './define-command';
import { ProgressPrinter } from './progress-printer';
import { formatCount, formatTrainProgress } from './train-progress';
import { openForCommand } from './open-database';

/** Exit code after Ctrl+C (128 + SIGINT), as shells expect. */
const EXIT_CANCELLED = 130;

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a policy from a training spec (headless, with progress)',
  usage: `train <spec.json> --db <file.deltascope>
       deltascope train --resume <runId> --db <file.deltascope>`,
  description: `Trains a PPO policy on the gridmaze environment as the training spec says (see
resources/training/*.json), in a worker process, writing metrics and checkpoints
(weights, optimizer and resume state) to the database, which is created if missing.
Shows steps, %, steps/s, ETA and the latest return and success while it runs.

Ctrl+C cancels cleanly: a last checkpoint is written and the run is marked
cancelled (a second Ctrl+C stops at once, keeping the previous checkpoint).
--resume continues a cancelled or interrupted run from its latest checkpoint; on
the same compute backend it ends with the same weights as an uninterrupted run.`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: 'train needs --db <file.deltascope>.',
      help: 'the database to write (required)',
    },
    resume: { type: 'string', value: '<runId>', help: 'continue run <runId> instead of starting a new one' },
  },
  async run({ values, positionals }, io) {
    const resumeRunId = values.resume === undefined ? null : parseRunId(values.resume);
    if (resumeRunId === null && positionals.length !== 1)
      throw new UsageError('train needs exactly one spec file (or --resume <runId>).');
    if (resumeRunId !== null && positionals.length > 0)
      throw new UsageError('train --resume takes no spec file.');
    const spec =
      resumeRunId === null ? readSpecFile(positionals[0]!, 'training spec', parseTrainingSpec) : null;

    const progress = new ProgressPrinter(io, formatTrainProgress);
    const queue = new JobQueue({
      launcher: createNodeForkLauncher(),
      parallelism: 1,
      emit: (event, payload) => {
        if (event === 'job.progress') progress.update(payload as EventPayload<'job.progress'>);
      },
    });
    const db = openForCommand(values.db, 'create', io);
    let started: JobStarted;
    try {
      started = resumeRunId === null ? queue.startTraining(db, spec) : queue.resume(db, resumeRunId);
      describeStart(db, started, resumeRunId !== null, io);
    } finally {
      db.close();
    }

    let interrupts = 0;
    const onSigint = (): void => {
      interrupts += 1;
      progress.interrupt();
      if (interrupts === 1) {
        io.err('Cancelling: writing a last checkpoint… (Ctrl+C again to stop at once)');
        queue.cancel(started.jobId);
      } else {
        queue.kill(started.jobId);
      }
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      const info = await queue.wait(started.jobId);
      progress.finish();
      return report(info, values.db, io);
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  },
});

function parseRunId(text: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 1)
    throw new UsageError(`--resume needs a run id (a positive integer); got "${text}".`);
  return id;
}

function describeStart(db: DeltascopeDb, started: JobStarted, resumed: boolean, io: CliIo): void {
  const run = db.runs.get(started.runId);
  const experiment = db.experiments.get(run.experimentId);
  const from = resumed && run.lastStep !== null ? ` from step ${formatCount(run.lastStep)}` : '';
  io.out(
    `${resumed ? 'Resuming' : 'Training'} run #${run.id} "${run.name}" of experiment "${experiment.name}"${from} → ${db.path}`,
  );
}

function report(info: JobInfo, dbPath: string, io: CliIo): number {
  const checkpoint = info.lastCheckpointId === null ? '' : `, last checkpoint #${info.lastCheckpointId}`;
  const backend = info.backend === null ? '' : ` on ${info.backend}`;
  if (info.state === 'done') {
    io.out(`Done: run #${info.runId}, ${formatCount(info.done)} env steps${backend}${checkpoint}.`);
    return 0;
  }
  if (info.state === 'cancelled') {
    io.out(`Cancelled: run #${info.runId} at step ${formatCount(info.done)}${checkpoint}.`);
    io.out(`Continue with: deltascope train --resume ${info.runId} --db ${dbPath}`);
    return EXIT_CANCELLED;
  }
  throw new DeltascopeError('JOB_FAILED', `run #${info.runId} failed: ${info.message ?? 'unknown error'}`);
}
