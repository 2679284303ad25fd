import { createNodeForkLauncher, JobQueue } from '../jobs';
import { ProtocolRunner, type ProtocolRunSummary } from '../jobs/protocol/protocol-runner';
import {
  createProtocolExperiment,
  loadProtocol,
  parseNewExperimentSpec,
} from '../jobs/protocol/protocol-store';
import { countByKind } from '../protocol';
import { DeltascopeError, type EventPayload } from '../shared';
import { openForCommand } from './open-database';
import { readSpecFile } from './spec-file';
import { positiveInt, UsageError, type CliIo } from './command';
import { CLUSTER_RUN_HELP, CLUSTER_RUN_OPTIONS, runOnCluster } from './cluster-commands';
import { defineCommand } from './define-command';
import { ProgressPrinter } from './progress-printer';
import { formatDuration } from './train-progress';

const EXIT_CANCELLED = 130;

/** One progress line: bar, nodes done/total, %, ETA, running and failed counts, and the running node's progress (episodes of an evaluation) when it reports one. */
export function formatProtocolProgress(progress: EventPayload<'job.progress'>, barWidth = 24): string {
  const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const nodeDone = progress.latest['protocol/node-done'];
  const nodeTotal = progress.latest['protocol/node-total'];
  const node = nodeDone === undefined || nodeTotal === undefined ? [] : [`node ${nodeDone}/${nodeTotal}`];
  return [
    `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`,
    `${(fraction * 100).toFixed(1).padStart(5)}%`,
    `${progress.done}/${progress.total} nodes`,
    `ETA ${progress.etaSeconds === null ? '–' : formatDuration(progress.etaSeconds)}`,
    `running ${progress.latest['protocol/running'] ?? 0}`,
    `failed ${progress.latest['protocol/failed'] ?? 0}`,
    ...node,
  ].join('  ');
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run an objective-isolation experiment (train, derive, recover, evaluate, analyse)',
  usage: `run <experiment.json> --db <file.deltascope>
       deltascope run --resume <experimentId> --db <file.deltascope>`,
  description: `Runs the objective-isolation protocol an experiment spec describes (see
resources/experiments/*.json): per seed, pretrain MA on RA; fine-tune MBᵢ on each
RBᵢ and null controls on RA; derive MA − α·Δᵢ, MA + α·Δᵢ and MA − α·rᵢ for each α;
recover each (and MA) on RA; evaluate everything; store the analyses (update
signals, negation table, superposition maps, known-answer check) as artifacts.

Training runs in worker processes (--jobs at once); evaluations and analyses run
in a worker thread, one at a time. Every finished node is recorded in the database:
Ctrl+C stops cleanly (a running evaluation at once, running trainings after writing
a last checkpoint), and --resume continues where the experiment stopped without
redoing finished nodes.

${CLUSTER_RUN_HELP}`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: 'run needs --db <file.deltascope>.',
      help: 'the database to write (required; created if missing)',
    },
    resume: { type: 'string', value: '<id>', help: 'continue experiment <id> instead of starting a new one' },
    'retry-failed': { type: 'boolean', help: 'with --resume: run failed nodes again' },
    jobs: { type: 'string', value: '<n>', default: '2', help: 'training jobs at once' },
    ...CLUSTER_RUN_OPTIONS,
  },
  async run({ values, positionals }, io) {
    const resumeId = values.resume === undefined ? null : positiveInt(values.resume, '--resume');
    if (resumeId === null && positionals.length !== 1)
      throw new UsageError('run needs exactly one experiment spec file (or --resume <experimentId>).');
    if (resumeId !== null && positionals.length > 0) throw new UsageError('run --resume takes no spec file.');
    if (resumeId === null && values['retry-failed'])
      throw new UsageError('--retry-failed goes with --resume.');
    const slots = values.jobs === undefined ? 2 : positiveInt(values.jobs, '--jobs');
    const spec =
      resumeId === null
        ? readSpecFile(positionals[0]!, 'experiment spec', (raw) =>
            parseNewExperimentSpec(raw, 'spec', slots),
          )
        : null;
    if (values.on !== undefined) {
      if (resumeId !== null) {
        throw new UsageError(
          '--on runs a spec file; to continue a work folder, use `deltascope retry` or run --on local again.',
        );
      }
      return runOnCluster(values, spec, io);
    }

    const db = openForCommand(values.db, 'create', io);
    let experimentId: number;
    try {
      const stored =
        resumeId === null ? createProtocolExperiment(db, spec, slots) : loadProtocol(db, resumeId);
      experimentId = stored.experimentId;
      const kinds = countByKind(stored.graph);
      io.out(
        `${resumeId === null ? 'Running' : 'Resuming'} experiment #${experimentId} "${stored.spec.name}": ` +
          `${stored.graph.nodes.length} nodes (${kinds.train} trainings, ${kinds.derive} derived checkpoints, ` +
          `${kinds.evaluate} evaluations, ${kinds.analysis} analyses) → ${db.path}`,
      );
    } finally {
      db.close();
    }

    const progress = new ProgressPrinter(io, formatProtocolProgress);
    const queue = new JobQueue({ launcher: createNodeForkLauncher(), parallelism: slots });
    const runner = new ProtocolRunner(values.db, experimentId, {
      queue,
      trainingSlots: slots,
      retryFailed: values['retry-failed'] === true,
      emit: (event, payload) => {
        if (event === 'job.progress') progress.update(payload as EventPayload<'job.progress'>);
      },
    });
    let interrupts = 0;
    const onSigint = (): void => {
      interrupts += 1;
      progress.interrupt();
      if (interrupts === 1) {
        io.err('Stopping: running trainings write a last checkpoint… (Ctrl+C again to stop at once)');
        runner.stop();
      } else {
        for (const job of queue.list()) queue.kill(job.jobId);
      }
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      const summary = await runner.run();
      progress.finish();
      return report(summary, values.db, io);
    } finally {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
      await queue.dispose();
    }
  },
});

function report(summary: ProtocolRunSummary, dbPath: string, io: CliIo): number {
  const resume = `deltascope run --resume ${summary.experimentId} --db ${dbPath}`;
  if (summary.done === summary.total) {
    io.out(`Done: experiment #${summary.experimentId}, ${summary.total} nodes (${summary.doneNow} run now).`);
    return 0;
  }
  if (summary.stopped) {
    io.out(`Stopped: ${summary.done}/${summary.total} nodes done. Continue with: ${resume}`);
    return EXIT_CANCELLED;
  }
  for (const failure of summary.failed) io.err(`failed: ${failure.nodeId}: ${failure.error}`);
  throw new DeltascopeError(
    'JOB_FAILED',
    `${summary.failed.length} node(s) failed and ${summary.blocked} could not run; ${summary.done}/${summary.total} done. ` +
      `Retry with: ${resume} --retry-failed`,
  );
}
