import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { arraySpec, type ClusterPlan } from './plan';
import { workdirPaths, writeFileAtomic } from './workdir';

/**
 * Submitting a plan to Slurm: one job array per stage (array index = task index), each stage after
 * the previous one (`--dependency=afterok:<job>`), `--requeue` and `--signal=B:USR1@<grace>` so a
 * preempted or timed-out task checkpoints and requeues itself, and one log per task (`%A_%a`).
 */

export interface SlurmOptions {
  partition?: string;
  /** --time, e.g. 02:00:00. */
  time?: string;
  cpusPerTask: number;
  /** At most this many tasks of one array at once (`--array=…%n`). */
  maxParallel?: number;
  /** Seconds before the time limit at which Slurm sends USR1. */
  signalGrace: number;
  /** Extra sbatch arguments, passed as given. */
  extra: string[];
  /** The command that runs `deltascope task` on a compute node: [node, cli.cjs]. */
  command: [string, string];
}

export interface Submission {
  stage: number;
  jobId: string;
  tasks: number[];
  submittedAt: string;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The batch script of one stage; `exec` makes `deltascope task` the process that gets Slurm's signal. */
export function stageScript(workdir: string, options: SlurmOptions): string {
  const [node, cli] = options.command;
  return [
    '#!/bin/sh',
    '# Written by `deltascope run --on slurm`: runs the array element’s task of this work folder.',
    `exec ${shellQuote(node)} ${shellQuote(cli)} task ${shellQuote(path.resolve(workdir))} "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** The sbatch arguments of one stage (without the script). */
export function sbatchArgs(
  workdir: string,
  plan: ClusterPlan,
  stage: number,
  tasks: readonly number[],
  after: string | null,
  options: SlurmOptions,
): string[] {
  const limit = options.maxParallel === undefined ? '' : `%${options.maxParallel}`;
  return [
    '--parsable',
    `--job-name=ds-${plan.experimentName.slice(0, 40)}-s${stage}`,
    `--array=${arraySpec(tasks)}${limit}`,
    `--output=${path.join(path.resolve(workdir), 'logs', '%A_%a.log')}`,
    // A requeued task appends to its log, so the log tells what happened before the requeue.
    '--open-mode=append',
    `--cpus-per-task=${options.cpusPerTask}`,
    '--requeue',
    `--signal=B:USR1@${options.signalGrace}`,
    ...(options.partition === undefined ? [] : [`--partition=${options.partition}`]),
    ...(options.time === undefined ? [] : [`--time=${options.time}`]),
    ...(after === null ? [] : [`--dependency=afterok:${after}`, '--kill-on-invalid-dep=yes']),
    ...options.extra,
  ];
}

/**
 * Writes each stage's script and submits the stages in order, chained by afterok; `stages` lists the
 * task indices to submit per stage (all of the plan's, or what a retry resubmits). Returns the
 * submissions (also appended to submissions.json). `dryRun`: returns the commands, submits nothing.
 */
export function submitStages(
  workdir: string,
  plan: ClusterPlan,
  stages: readonly (readonly number[])[],
  options: SlurmOptions,
  dryRun: boolean,
): { submissions: Submission[]; commands: string[] } {
  const paths = workdirPaths(workdir);
  mkdirSync(paths.scripts, { recursive: true });
  const script = path.join(paths.scripts, 'task.sh');
  writeFileAtomic(script, stageScript(workdir, options));
  const submissions: Submission[] = [];
  const commands: string[] = [];
  let after: string | null = null;
  for (const [stage, tasks] of stages.entries()) {
    if (tasks.length === 0) continue;
    const args = sbatchArgs(workdir, plan, stage, tasks, after, options);
    commands.push(
      ['sbatch', ...args, script]
        .map((part) => (/^[\w@%:=/.,-]+$/.test(part) ? part : shellQuote(part)))
        .join(' '),
    );
    if (dryRun) {
      after = `<stage ${stage}>`;
      continue;
    }
    const result = spawnSync('sbatch', [...args, script], { encoding: 'utf8' });
    if (result.error !== undefined || result.status !== 0) {
      throw new DeltascopeError(
        'JOB_FAILED',
        `sbatch refused stage ${stage}: ${(result.stderr || String(result.error ?? '')).trim()}` +
          (submissions.length > 0
            ? ` (stages before it were submitted: ${submissions.map((s) => s.jobId).join(', ')})`
            : ''),
      );
    }
    const jobId = result.stdout.trim().split(';')[0]!;
    const submission = { stage, jobId, tasks: [...tasks], submittedAt: new Date().toISOString() };
    submissions.push(submission);
    appendSubmission(workdir, submission);
    after = jobId;
  }
  return { submissions, commands };
}

export function readSubmissions(workdir: string): Submission[] {
  const file = workdirPaths(workdir).submissions;
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Submission[]) : [];
}

function appendSubmission(workdir: string, submission: Submission): void {
  writeFileAtomic(
    workdirPaths(workdir).submissions,
    `${JSON.stringify([...readSubmissions(workdir), submission], null, 2)}\n`,
  );
}

/** The latest Slurm job id each task was submitted under (its log is logs/<job>_<task>.log). */
export function latestJobOfTask(submissions: readonly Submission[]): Map<number, string> {
  const latest = new Map<number, string>();
  for (const submission of submissions)
    for (const task of submission.tasks) latest.set(task, submission.jobId);
  return latest;
}

/**
 * Task indices of one squeue job id: `12_5` → [5]; a pending array's `12_[5-31:2,40]` (maybe with a
 * `%4` throttle) → every index it names. Null for anything else — including a compact form Slurm cut
 * short (it prints at most ~32 characters of it: `1004_[57,59,61,63,65,67,69,71,7`).
 */
export function parseArrayJobId(text: string): { jobId: string; tasks: number[] } | null {
  const single = /^(\d+)_(\d+)$/.exec(text);
  if (single !== null) return { jobId: single[1]!, tasks: [Number(single[2])] };
  const array = /^(\d+)_\[([\d,:-]+)(?:%\d+)?\]$/.exec(text);
  if (array === null) return null;
  const tasks: number[] = [];
  for (const part of array[2]!.split(',')) {
    const range = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part);
    if (range === null) return null;
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    const step = range[3] === undefined ? 1 : Number(range[3]);
    for (let i = first; i <= last && step > 0; i += step) tasks.push(i);
  }
  return { jobId: array[1]!, tasks };
}

/**
 * The array elements named by squeue listings (`%i %T` lines), by task index → state in lower case.
 * squeue lists a pending array in one compact line that it cuts at ~32 characters, so a stage of
 * scattered indices loses most of them there; `squeue -r` lists one element per line but (Slurm
 * 22.05) drops the last element of a stepped range. Each listing misses what the other has, so the
 * caller passes both and every element either names counts.
 */
export function parseQueueListings(...listings: readonly string[]): Map<number, string> {
  const queued = new Map<number, string>();
  for (const listing of listings) {
    for (const line of listing.split('\n')) {
      const [id, state] = line.trim().split(/\s+/);
      const parsed = id === undefined ? null : parseArrayJobId(id);
      if (parsed === null || state === undefined) continue;
      for (const task of parsed.tasks) queued.set(task, state.toLowerCase());
    }
  }
  return queued;
}

/** Array elements Slurm still has (pending, running, requeued…) by task index, from squeue. */
export function queuedTasks(jobIds: readonly string[]): Map<number, string> {
  if (jobIds.length === 0) return new Map();
  const listing = (expand: boolean): string => {
    const args = ['-h', ...(expand ? ['-r'] : []), '-o', '%i %T', '-j', jobIds.join(',')];
    const result = spawnSync('squeue', args, { encoding: 'utf8' });
    return result.error === undefined ? result.stdout : '';
  };
  return parseQueueListings(listing(false), listing(true));
}

/** Asks Slurm to requeue this array element (from inside it); false when not under Slurm or refused. */
export function requeueSelf(): boolean {
  const job = process.env.SLURM_ARRAY_JOB_ID;
  const task = process.env.SLURM_ARRAY_TASK_ID;
  if (job === undefined || task === undefined) return false;
  const result = spawnSync('scontrol', ['requeue', `${job}_${task}`], { encoding: 'utf8' });
  return result.status === 0;
}
