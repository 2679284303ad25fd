import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterTaskRun } from '../cluster/task';
import { mergeWorkdir } from '../cluster/merge';
import { runTasksLocally } from '../cluster/local';
import { createWorkdir, readPlan, writeFileAtomic } from '../cluster/workdir';
import { queuedTasks, readSubmissions, requeueSelf, submitStages, type SlurmOptions } from '../cluster/slurm';
import { workdirStatus } from '../cluster/status';
import { DeltascopeError } from '../shared';
import { positiveInt, UsageError, type CliIo } from './command';
import { defineCommand, type CliValues } from './define-command';
import { formatDuration } from './train-progress';

/** The command that runs `deltascope task` elsewhere: this Node and the entry file the user ran. */
export function taskCommand(): [string, string] {
  return [process.execPath, path.resolve(process.argv[1] ?? 'bin/deltascope.cjs')];
}

/** Requeues on preemption at most this many times; then the task fails (a loop is a real failure). */
const MAX_REQUEUES = 20;

export const taskCommandCli = defineCommand({
  name: 'task',
  summary: 'run one task of a work folder (what a Slurm array element or local worker runs)',
  usage: `task <workdir> <taskIndex>
       deltascope task <workdir> --stage <s> <k>     (the k-th task of stage s, e.g. JOB_COMPLETION_INDEX)`,
  description: `Runs task <taskIndex> of a work folder planned by \`deltascope run --on slurm|local\`: copies the
finished outputs of the tasks it reads from into its own database (tasks/<i>.deltascope), then runs
its node(s). SIGUSR1 or SIGTERM (Slurm's warning before preemption or the time limit) makes a
training write its last checkpoint; under Slurm the task then requeues itself and resumes from that
checkpoint. Exit 0 when done, 1 on a real failure (no requeue).`,
  options: {
    stage: {
      type: 'string',
      value: '<s>',
      help: 'read the index as a position in stage s of plan.json (one Kubernetes Indexed Job per stage)',
    },
  },
  args: { count: 2, message: 'task needs <workdir> <taskIndex>.' },
  async run({ values, positionals }, io) {
    const position = Number(positionals[1]);
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new UsageError(`the task index must be a whole number; got "${positionals[1]}".`);
    }
    const index =
      values.stage === undefined ? position : taskOfStage(positionals[0]!, values.stage, position);
    const started = Date.now();
    const run = new ClusterTaskRun(positionals[0]!, index, (line) => io.out(line));
    let signalled: string | null = null;
    const onSignal = (signal: string) => (): void => {
      signalled = signal;
      io.err(`task ${index}: ${signal}: writing a last checkpoint…`);
      run.stop();
    };
    const handlers = {
      SIGUSR1: onSignal('SIGUSR1'),
      SIGTERM: onSignal('SIGTERM'),
      SIGINT: onSignal('SIGINT'),
    };
    for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
    try {
      const outcome = await run.run();
      if (outcome.state === 'done') {
        io.out(
          `task ${index}: done in ${((Date.now() - started) / 1000).toFixed(1)} s (process up ${process.uptime().toFixed(1)} s)`,
        );
        return 0;
      }
      if (outcome.state === 'failed') {
        for (const error of outcome.errors) io.err(`failed: ${error}`);
        return 1;
      }
      const restarts = Number(process.env.SLURM_RESTART_COUNT ?? '0');
      if (signalled !== 'SIGINT' && restarts < MAX_REQUEUES && requeueSelf()) {
        io.err(
          `task ${index}: stopped by ${signalled ?? 'a signal'}; requeued (restart ${restarts + 1}), it resumes from its last checkpoint.`,
        );
        return 0;
      }
      io.err(
        `task ${index}: stopped by ${signalled ?? 'a signal'}; it resumes from its last checkpoint when run again (Slurm requeues it if it was preempted).`,
      );
      return 130;
    } finally {
      for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    }
  },
});

function taskOfStage(workdir: string, stageText: string, position: number): number {
  const stages = readPlan(workdir).stages;
  const stage = Number(stageText);
  const index = Number.isSafeInteger(stage) ? stages[stage]?.[position] : undefined;
  if (index === undefined) {
    throw new UsageError(
      `stage ${stageText} has no task ${position}: the plan has stages 0–${stages.length - 1} (${stages.map((s) => s.length).join(', ')} tasks).`,
    );
  }
  return index;
}

function slurmStages(plan: ReturnType<typeof readPlan>, include: (index: number) => boolean): number[][] {
  return plan.stages.map((stage) => stage.filter(include));
}

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'progress of a work folder run on Slurm or locally: per stage, failed tasks, ETA',
  usage: 'status <workdir> [--json]',
  description: `Reads the work folder's task files and Slurm's queue (squeue): done / running / pending / failed
tasks per stage, the last log lines of each failed task, and an ETA.`,
  options: { json: { type: 'boolean', help: 'print the status as JSON' } },
  args: { count: 1, message: 'status needs <workdir>.' },
  async run({ values, positionals }, io) {
    const workdir = positionals[0]!;
    const status = workdirStatus(workdir, readPlan(workdir));
    if (values.json === true) {
      io.out(JSON.stringify(status, null, 2));
      return 0;
    }
    for (const { stage, label, counts } of status.stages) {
      const parts = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([name, n]) => `${n} ${name}`);
      io.out(`stage ${stage}: ${parts.join(', ')} (${label})`);
    }
    const done = status.tasks.filter((task) => task.status === 'done').length;
    io.out(
      `${done}/${status.tasks.length} tasks done` +
        (status.etaSeconds === null || done === status.tasks.length
          ? ''
          : `, ETA ${formatDuration(status.etaSeconds)}`),
    );
    for (const task of status.tasks.filter((t) => t.status === 'failed')) {
      io.out(`failed: task ${task.index} (${task.node}): ${task.error ?? ''}`);
      for (const line of task.logTail) io.out(`    ${line}`);
    }
    return 0;
  },
});

export const retryCommand = defineCommand({
  name: 'retry',
  summary: 'resubmit the tasks of a work folder that failed (and those they blocked) to Slurm',
  usage: 'retry <workdir> [--failed] [--dry-run]',
  description: `Resubmits every task that is neither done nor still queued in Slurm — failed tasks and the tasks
they blocked — as new job arrays, stage after stage, with the options of the first submission.`,
  options: {
    failed: { type: 'boolean', help: 'resubmit failed tasks and what they blocked (what retry always does)' },
    'dry-run': { type: 'boolean', help: 'print the sbatch commands instead of submitting' },
  },
  args: { count: 1, message: 'retry needs <workdir>.' },
  async run({ values, positionals }, io) {
    const workdir = positionals[0]!;
    const plan = readPlan(workdir);
    const status = workdirStatus(workdir, plan);
    const queued = queuedTasks([...new Set(readSubmissions(workdir).map((s) => s.jobId))]);
    const again = new Set(
      status.tasks
        .filter((task) => task.status !== 'done' && !queued.has(task.index))
        .map((task) => task.index),
    );
    if (again.size === 0) {
      io.out('Nothing to retry: every task is done or still queued.');
      return 0;
    }
    const dryRun = values['dry-run'] === true;
    const stages = slurmStages(plan, (i) => again.has(i));
    const { submissions, commands } = submitStages(workdir, plan, stages, readSlurmOptions(workdir), dryRun);
    if (dryRun) for (const command of commands) io.out(command);
    else io.out(`Resubmitted ${again.size} task(s): jobs ${submissions.map((s) => s.jobId).join(', ')}.`);
    return 0;
  },
});

export const mergeCommand = defineCommand({
  name: 'merge',
  summary: 'combine the finished task files of a work folder into one database',
  usage: 'merge <workdir> --into <file.deltascope>',
  description: `Copies every finished task's rows (runs, checkpoints, metrics, artifacts; ids kept) into one
database the app opens like a local run. Refuses task files of another experiment, checks every
checkpoint's sha256, and works on a copy renamed into place at the end (a crash leaves the target
as it was). Merging again adds only what finished since; tasks not done are listed.`,
  options: {
    into: {
      type: 'string',
      value: '<file>',
      required: 'merge needs --into <file.deltascope>.',
      help: 'the database to write (new, or an earlier merge of this work folder)',
    },
  },
  args: { count: 1, message: 'merge needs <workdir>.' },
  async run({ values, positionals }, io) {
    const summary = mergeWorkdir(positionals[0]!, values.into);
    reportMerge(summary, io);
    return 0;
  },
});

function reportMerge(summary: ReturnType<typeof mergeWorkdir>, io: CliIo): void {
  const added = Object.entries(summary.rows).filter(([, n]) => n > 0);
  io.out(
    `Merged ${summary.merged.length}/${summary.merged.length + summary.missing.length} tasks into ${summary.target}` +
      (added.length === 0
        ? ' (nothing new).'
        : ` (new rows: ${added.map(([table, n]) => `${n} ${table}`).join(', ')}).`),
  );
  if (summary.missing.length > 0) {
    const listed = summary.missing.slice(0, 10).map((m) => `${m.index} (${m.state})`);
    io.err(
      `${summary.missing.length} task(s) not done yet: ${listed.join(', ')}${summary.missing.length > 10 ? ', …' : ''}`,
    );
  }
}

/** The options `deltascope run` takes for --on (declared here, next to what uses them). */
export const CLUSTER_RUN_OPTIONS = {
  on: { type: 'string', value: '<local|slurm>', help: 'run as tasks in --workdir (see above)' },
  workdir: {
    type: 'string',
    value: '<folder>',
    help: 'the work folder of --on (new; --on local may continue one)',
  },
  workers: { type: 'string', value: '<n>', default: '2', help: '--on local: tasks at once' },
  partition: { type: 'string', value: '<p>', help: '--on slurm: the partition' },
  time: { type: 'string', value: '<t>', help: "--on slurm: each task's time limit (e.g. 02:00:00)" },
  'cpus-per-task': { type: 'string', value: '<n>', default: '2', help: '--on slurm: cores per task' },
  'max-parallel': { type: 'string', value: '<n>', help: '--on slurm: array tasks at once per stage' },
  'signal-grace': {
    type: 'string',
    value: '<s>',
    default: '120',
    help: '--on slurm: USR1 this many seconds before the time limit',
  },
  'sbatch-arg': {
    type: 'string',
    value: '<arg>',
    multiple: true,
    help: '--on slurm: an extra sbatch argument (repeatable)',
  },
  'dry-run': { type: 'boolean', help: '--on slurm: plan and print the sbatch commands, submit nothing' },
} as const;

export const CLUSTER_RUN_HELP = `On a cluster (or as local processes through the same path):
  deltascope run <experiment.json> --db <file> --on slurm --workdir <shared folder>
      [--partition p] [--time 02:00:00] [--cpus-per-task 2] [--max-parallel 64]
      [--sbatch-arg <arg>]… [--dry-run]
  deltascope run <experiment.json> --db <file> --on local --workdir <folder> [--workers n]
plans the graph into tasks in the work folder (which compute nodes must share), each
writing only its own database; Slurm runs them as job arrays, one per stage, chained by
afterok. Follow with \`deltascope status <workdir>\`, then \`deltascope merge <workdir>
--into <file>\` (--on local merges when done).`;

/** `run --on local|slurm`: plans into the work folder (or continues a local one), then runs or submits. */
export async function runOnCluster(
  values: CliValues<typeof CLUSTER_RUN_OPTIONS> & { db: string },
  spec: unknown,
  io: CliIo,
): Promise<number> {
  const on = values.on;
  if (on !== 'local' && on !== 'slurm') throw new UsageError(`--on takes local or slurm; got "${on}".`);
  if (values.workdir === undefined) throw new UsageError(`--on ${on} needs --workdir <folder>.`);
  const workdir = path.resolve(values.workdir);
  const plan =
    on === 'local' && existsSync(path.join(workdir, 'plan.json'))
      ? readPlan(workdir)
      : createWorkdir(workdir, spec);
  io.out(
    `Planned "${plan.experimentName}": ${plan.tasks.length} tasks in ${plan.stages.length} stages → ${workdir}`,
  );
  if (on === 'slurm') {
    const slurm: SlurmOptions = {
      ...(values.partition === undefined ? {} : { partition: values.partition }),
      ...(values.time === undefined ? {} : { time: values.time }),
      cpusPerTask: positiveInt(values['cpus-per-task'], '--cpus-per-task'),
      ...(values['max-parallel'] === undefined
        ? {}
        : { maxParallel: positiveInt(values['max-parallel'], '--max-parallel') }),
      signalGrace: positiveInt(values['signal-grace'], '--signal-grace'),
      extra: values['sbatch-arg'] ?? [],
      command: taskCommand(),
    };
    return submitPlan(workdir, plan, slurm, values['dry-run'] === true, values.db, io);
  }
  return runLocally(workdir, plan, positiveInt(values.workers, '--workers'), values.db, io);
}

function submitPlan(
  workdir: string,
  plan: ReturnType<typeof readPlan>,
  slurm: SlurmOptions,
  dryRun: boolean,
  db: string,
  io: CliIo,
): number {
  writeSlurmOptions(workdir, slurm);
  const { submissions, commands } = submitStages(workdir, plan, plan.stages, slurm, dryRun);
  if (dryRun) {
    for (const command of commands) io.out(command);
    io.out(`(dry run: nothing submitted; the batch script is ${path.join(workdir, 'slurm', 'task.sh')})`);
    return 0;
  }
  io.out(
    `Submitted ${plan.tasks.length} tasks in ${submissions.length} job arrays: ${submissions.map((s) => s.jobId).join(', ')}.`,
  );
  io.out(`Follow:  deltascope status ${workdir}`);
  io.out(`Then:    deltascope merge ${workdir} --into ${db}`);
  return 0;
}

async function runLocally(
  workdir: string,
  plan: ReturnType<typeof readPlan>,
  workers: number,
  db: string,
  io: CliIo,
): Promise<number> {
  let stopping = false;
  const onSigint = (): void => {
    stopping = true;
    io.err('Stopping: running tasks finish; run the same command again to continue.');
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  try {
    const result = await runTasksLocally(
      workdir,
      plan,
      workers,
      taskCommand(),
      (p) => io.ttyWrite?.(`\r${p.done}/${p.total} tasks done, ${p.running} running, ${p.failed} failed   `),
      () => stopping,
    );
    io.ttyWrite?.('\n');
    if (result.failed.length > 0) {
      throw new DeltascopeError(
        'JOB_FAILED',
        `${result.failed.length} task(s) failed (${result.failed.join(', ')}), ${result.blocked.length} blocked; see ${path.join(workdir, 'logs')}/local_<i>.log and \`deltascope status ${workdir}\`.`,
      );
    }
    const summary = mergeWorkdir(workdir, db);
    io.out(
      `Done: ${summary.merged.length} tasks in ${formatDuration((Date.now() - started) / 1000)}, merged into ${summary.target}.`,
    );
    return summary.missing.length === 0 ? 0 : 130;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function slurmOptionsFile(workdir: string): string {
  return path.join(workdir, 'slurm', 'options.json');
}

function writeSlurmOptions(workdir: string, options: SlurmOptions): void {
  mkdirSync(path.join(workdir, 'slurm'), { recursive: true });
  writeFileAtomic(slurmOptionsFile(workdir), `${JSON.stringify(options, null, 2)}\n`);
}

function readSlurmOptions(workdir: string): SlurmOptions {
  const file = slurmOptionsFile(workdir);
  if (!existsSync(file)) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `${workdir} was not submitted to Slurm (no slurm/options.json); run it with \`deltascope run --on slurm\`.`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as SlurmOptions;
}
