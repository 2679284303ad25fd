import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { ClusterPlan } from './plan';
import { readTaskState, workdirPaths } from './workdir';

/**
 * `deltascope run --on local --workers N`: the plan's tasks as N local processes at once, each the same
 * `deltascope task <workdir> <i>` a Slurm array element runs, so one code path is tested here and used
 * on a cluster. A task starts when every task it reads from is done; a failed task blocks its dependents.
 */

export interface LocalRunProgress {
  done: number;
  failed: number;
  running: number;
  total: number;
}

export interface LocalRunResult {
  done: number[];
  failed: number[];
  blocked: number[];
}

export async function runTasksLocally(
  workdir: string,
  plan: ClusterPlan,
  workers: number,
  command: [string, string],
  onProgress: (progress: LocalRunProgress) => void = () => undefined,
  shouldStop: () => boolean = () => false,
): Promise<LocalRunResult> {
  const done = new Set<number>();
  const failed = new Set<number>();
  for (const task of plan.tasks) {
    const state = readTaskState(workdir, plan, task.index).state;
    if (state === 'done') done.add(task.index);
  }
  const running = new Map<number, Promise<void>>();
  const blocked = (index: number): boolean =>
    plan.tasks[index]!.deps.some((dep) => failed.has(dep) || blocked(dep));
  const report = (): void =>
    onProgress({ done: done.size, failed: failed.size, running: running.size, total: plan.tasks.length });
  report();
  for (;;) {
    if (!shouldStop()) {
      for (const task of plan.tasks) {
        if (running.size >= workers) break;
        const index = task.index;
        if (done.has(index) || failed.has(index) || running.has(index)) continue;
        if (!task.deps.every((dep) => done.has(dep))) continue;
        running.set(
          index,
          runTaskProcess(workdir, index, command).then((ok) => {
            running.delete(index);
            (ok ? done : failed).add(index);
            report();
          }),
        );
        report();
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  const unfinished = plan.tasks.map((task) => task.index).filter((i) => !done.has(i) && !failed.has(i));
  return { done: [...done], failed: [...failed], blocked: unfinished.filter(blocked) };
}

function runTaskProcess(workdir: string, index: number, [node, cli]: [string, string]): Promise<boolean> {
  const log = openSync(path.join(workdirPaths(workdir).logs, `local_${index}.log`), 'a');
  return new Promise((resolve) => {
    const child = spawn(node, [cli, 'task', path.resolve(workdir), String(index)], {
      stdio: ['ignore', log, log],
    });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  }).finally(() => closeSync(log)) as Promise<boolean>;
}
