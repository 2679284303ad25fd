import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createProtocolExperiment, loadProtocol, readNodeStates } from '../jobs/protocol/protocol-store';
import { writeFilesSafelySync } from '../files';
import { DeltascopeError } from '../shared/errors';
import { createDatabase, openDatabase, type DeltascopeDb } from '../store';
import { CLUSTER_PLAN_FORMAT, planHash, planTasks, type ClusterPlan, type ClusterTask } from './plan';

/**
 * The work folder of an experiment run as tasks (on a filesystem every compute node sees):
 *
 *   spec.json              the experiment spec as given
 *   plan.json              the tasks and stages (plan.ts), with the spec+graph hash
 *   base.deltascope        the experiment row and its job graph: every task file starts as a copy
 *   tasks/<i>.deltascope   task i's own database (only task i's process writes it)
 *   logs/<job>_<i>.log     one log per Slurm array task (local runs: logs/local_<i>.log)
 *   submissions.json       the Slurm job ids of each stage, appended by run and retry
 */

/** The experiment id inside every file of a work folder (base.deltascope creates it first). */
export const CLUSTER_EXPERIMENT_ID = 1;

export const workdirPaths = (workdir: string) => ({
  spec: path.join(workdir, 'spec.json'),
  plan: path.join(workdir, 'plan.json'),
  base: path.join(workdir, 'base.deltascope'),
  tasks: path.join(workdir, 'tasks'),
  logs: path.join(workdir, 'logs'),
  scripts: path.join(workdir, 'slurm'),
  submissions: path.join(workdir, 'submissions.json'),
});

export function taskFile(workdir: string, index: number): string {
  return path.join(workdirPaths(workdir).tasks, `${index}.deltascope`);
}

/** Writes `text` to `file` (replacing it) through a temporary file in the same folder, so readers never see half of it. */
export function writeFileAtomic(file: string, text: string): void {
  writeFilesSafelySync([{ target: { path: file, extensions: [path.extname(file)] }, data: text }], {
    overwrite: true,
  });
}

/**
 * Plans an experiment into a new (or empty) work folder: spec, plan and base database. Refuses a
 * folder that already holds a plan, so two experiments never mix their task files.
 */
export function createWorkdir(workdir: string, rawSpec: unknown): ClusterPlan {
  const paths = workdirPaths(workdir);
  if (existsSync(paths.plan)) {
    throw new DeltascopeError(
      'FILE_EXISTS',
      `${workdir} already holds a planned experiment (plan.json). Follow it with \`deltascope status ${workdir}\`, or choose a new work folder.`,
      { path: paths.plan },
    );
  }
  mkdirSync(paths.tasks, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const baseTemp = `${paths.base}.tmp-${process.pid}`;
  rmSync(baseTemp, { force: true });
  const db = createDatabase(baseTemp);
  let plan: ClusterPlan;
  try {
    const stored = createProtocolExperiment(db, rawSpec);
    if (stored.experimentId !== CLUSTER_EXPERIMENT_ID)
      throw new Error('the base database must hold one experiment');
    plan = planTasks(stored.spec, stored.graph);
  } finally {
    db.close();
  }
  renameSync(baseTemp, paths.base);
  writeFileAtomic(paths.spec, `${JSON.stringify(rawSpec, null, 2)}\n`);
  writeFileAtomic(paths.plan, `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

export function readPlan(workdir: string): ClusterPlan {
  const file = workdirPaths(workdir).plan;
  if (!existsSync(file)) {
    throw new DeltascopeError(
      'FILE_NOT_FOUND',
      `${workdir} is not a Deltascope work folder: it has no plan.json.`,
      {
        path: file,
      },
    );
  }
  let plan: ClusterPlan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as ClusterPlan;
  } catch (error) {
    throw new DeltascopeError(
      'INVALID_FILE',
      `${file} is not readable JSON (${error instanceof Error ? error.message : String(error)}).`,
      { path: file },
    );
  }
  if (plan?.format !== CLUSTER_PLAN_FORMAT || !Array.isArray(plan.tasks)) {
    throw new DeltascopeError('INVALID_FILE', `${file} is not a ${CLUSTER_PLAN_FORMAT} plan.`, {
      path: file,
    });
  }
  return plan;
}

export function taskOf(plan: ClusterPlan, index: number): ClusterTask {
  const task = plan.tasks[index];
  if (task === undefined || !Number.isInteger(index)) {
    throw new DeltascopeError(
      'INVALID_PAYLOAD',
      `task ${index} does not exist: the plan has tasks 0–${plan.tasks.length - 1}.`,
    );
  }
  return task;
}

/** Refuses a database whose experiment is not this plan's (another spec, or another version's graph). */
export function checkPlanHash(db: DeltascopeDb, plan: ClusterPlan, file: string): void {
  const stored = loadProtocol(db, CLUSTER_EXPERIMENT_ID);
  const hash = planHash(stored.spec, stored.graph);
  if (hash !== plan.hash) {
    throw new DeltascopeError(
      'INVALID_FILE',
      `${file} belongs to another experiment (spec+graph hash ${hash.slice(0, 12)}…, this work folder's plan has ${plan.hash.slice(0, 12)}…); it is not merged.`,
      { path: file },
    );
  }
}

export type TaskState = 'done' | 'failed' | 'started' | 'not-started';

export interface TaskFileState {
  state: TaskState;
  /** The error of a failed node. */
  error: string | null;
}

/** What a task's file says of it: done when every node is, failed when one failed, started otherwise. */
export function readTaskState(workdir: string, plan: ClusterPlan, index: number): TaskFileState {
  const file = taskFile(workdir, index);
  if (!existsSync(file)) return { state: 'not-started', error: null };
  const db = openDatabase(file);
  try {
    checkPlanHash(db, plan, file);
    const states = readNodeStates(db, CLUSTER_EXPERIMENT_ID);
    const nodes = taskOf(plan, index).nodes.map((id) => states.get(id));
    const failed = nodes.find((state) => state?.status === 'failed');
    if (failed !== undefined) return { state: 'failed', error: failed.error ?? 'failed' };
    if (nodes.every((state) => state?.status === 'done')) return { state: 'done', error: null };
    return { state: 'started', error: null };
  } finally {
    db.close();
  }
}

/** Creates task i's file as a copy of the base database (through a temporary file) unless it exists. */
export function ensureTaskFile(workdir: string, index: number): string {
  const file = taskFile(workdir, index);
  if (!existsSync(file)) {
    const temp = `${file}.tmp-${process.pid}`;
    copyFileSync(workdirPaths(workdir).base, temp);
    renameSync(temp, file);
  }
  return file;
}
