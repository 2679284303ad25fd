import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkdirStatusSchema, type WorkdirStatus } from '../../../src-main/shared/contract-cluster';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import {
  checkpointCount,
  countDoneNodes,
  expectSameDeterministicContent,
  finalHashesByRun,
  startLocalSlurm,
  waitFor,
  writeSpec,
} from './cluster-helpers';

/**
 * On a real Slurm: the one-node cluster of scripts/slurm-local.sh (Debian's slurm-wlm + munge),
 * started here as .ci/run starts it on CI. Tests that need it fail with one line when it cannot start.
 */
const temp = makeTempDir('cluster-slurm');
const cli = deltascopeProcess({ home: temp.dir });
const submitted: string[] = [];
beforeAll(async () => {
  startLocalSlurm();
  await ensureFreshBundle(['cli.cjs', 'worker.cjs']);
}, 120_000);
afterAll(() => {
  if (submitted.length > 0) spawnSync('scancel', submitted);
  temp.cleanup();
});

/** `status --json` prints the contract's WorkdirStatus (the app's cluster.status reads the same). */
async function status(workdir: string): Promise<WorkdirStatus> {
  const result = await cli('status', workdir, '--json');
  expect(result.stderr).toBe('');
  return WorkdirStatusSchema.parse(JSON.parse(result.stdout));
}

function jobIds(stdout: string): string[] {
  const ids = /job arrays: ([\d, ]+)\./.exec(stdout)?.[1]?.split(', ') ?? [];
  submitted.push(...ids);
  return ids;
}

// Generous limits: a small graph runs twice, through Slurm and locally, on a shared 2-core machine.
describe('deltascope run --on slurm', { timeout: 900_000 }, () => {
  it('runs the graph as job arrays; a task that fails shows in status with its log, and retry finishes the run; the merge equals a local run', async () => {
    // One RB and one α: 15 tasks in 5 stages (the tiny spec's 48 prove nothing more here).
    const spec = writeSpec(temp.dir, 'slurm-tiny', {
      rbs: [{ name: 'coin', collect: { coin: 1 } }],
      alphas: [1],
    });
    const workdir = join(temp.dir, 'slurm');
    const merged = join(temp.dir, 'slurm.deltascope');
    // Plan, then plant a file that is not a database where task 1 will write: that task fails for real.
    const dry = await cli('run', spec, '--db', merged, '--on', 'slurm', '--workdir', workdir, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/sbatch --parsable .*--array=0 .*--requeue --signal=B:USR1@120/);
    expect(dry.stdout).toMatch(/--dependency=afterok:<stage 0>/);
    rmSync(workdir, { recursive: true });

    // --dry-run planned the folder; a real run needs a new one.
    const run = await cli(
      'run',
      spec,
      '--db',
      merged,
      '--on',
      'slurm',
      '--workdir',
      workdir,
      '--cpus-per-task',
      '1',
    );
    expect(run.code).toBe(0);
    const ids = jobIds(run.stdout);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    writeFileSync(join(workdir, 'tasks', '1.deltascope'), 'not a database');

    const failed = await waitFor('task 1 to fail', async () =>
      (await status(workdir)).tasks.find((task) => task.index === 1 && task.status === 'failed'),
    );
    expect(failed!.logTail.join('\n')).toMatch(
      /not a (Deltascope |SQLite )?database|NOT_A_DATABASE|not a database/i,
    );
    const text = await cli('status', workdir);
    expect(text.stdout).toMatch(/stage 0: 1 done/);
    expect(text.stdout).toMatch(/failed: task 1 /);

    // Tasks after the failed one never start (afterok); once Slurm has dropped them, retry resubmits.
    await waitFor('the blocked arrays to leave the queue', () => {
      const queue = spawnSync('squeue', ['-h', '-j', ids.join(',')], { encoding: 'utf8' });
      return queue.stdout.trim() === '';
    });
    rmSync(join(workdir, 'tasks', '1.deltascope'));
    const retry = await cli('retry', workdir, '--failed');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/Resubmitted \d+ task\(s\)/);
    submitted.push(...(/jobs ([\d, ]+)\./.exec(retry.stdout)?.[1]?.split(', ') ?? []));
    await waitFor(
      'every task done',
      async () => (await status(workdir)).tasks.every((task) => task.status === 'done'),
      240_000,
    );
    const merge = await cli('merge', workdir, '--into', merged);
    expect(merge.code).toBe(0);

    // The same spec through the local executor: identical checkpoints, analyses and metrics.
    const local = join(temp.dir, 'local.deltascope');
    const localRun = await cli(
      'run',
      spec,
      '--db',
      local,
      '--on',
      'local',
      '--workdir',
      join(temp.dir, 'local'),
      '--workers',
      '2',
    );
    expect(localRun.code).toBe(0);
    expectSameDeterministicContent(local, merged);
  });

  it('a task requeued mid-training resumes and finishes bit-identically', async () => {
    const spec = writeSpec(temp.dir, 'slurm-requeue', { pretrainSteps: 32768 });
    const workdir = join(temp.dir, 'requeue');
    const run = await cli(
      'run',
      spec,
      '--db',
      join(temp.dir, 'rq.deltascope'),
      '--on',
      'slurm',
      '--workdir',
      workdir,
      '--cpus-per-task',
      '1',
    );
    expect(run.code).toBe(0);
    const [first, ...later] = jobIds(run.stdout);
    spawnSync('scancel', later); // only the pretraining matters here
    const log = join(workdir, 'logs', `${first}_0.log`);
    // Requeue once training has stored a checkpoint past its first, well before it ends.
    const taskDb = join(workdir, 'tasks', '0.deltascope');
    await waitFor(
      'a checkpoint after step 0',
      () => existsSync(taskDb) && checkpointCount(taskDb) >= 2,
      240_000,
    );
    expect(countDoneNodes(taskDb)).toBe(0);
    expect(spawnSync('scontrol', ['requeue', `${first}_0`]).status).toBe(0);
    await waitFor(
      'the requeue',
      () => readFileSync(log, 'utf8').includes('writing a last checkpoint'),
      240_000,
    );
    // A requeued job waits (BeginTime) for its credential's lifetime before it starts again:
    // slurm-local.sh sets AuthInfo=cred_expire=10, so seconds here (Slurm's default is 2 minutes). It
    // is not released early: Slurm kills a job started while its previous instance's credential is
    // still revoked ("Killing non-startable batch job: Job credential revoked").
    await waitFor(
      'the requeued task to start again',
      () => readFileSync(log, 'utf8').split('task 0: s1/pretrain').length > 2,
      120_000,
    );
    await waitFor('task 0 done', () => readFileSync(log, 'utf8').includes('task 0: done'), 240_000);

    const uninterrupted = join(temp.dir, 'requeue-ref');
    await cli(
      'run',
      spec,
      '--db',
      join(temp.dir, 'ref.deltascope'),
      '--on',
      'slurm',
      '--workdir',
      uninterrupted,
      '--dry-run',
    );
    expect((await cli('task', uninterrupted, '0')).code).toBe(0);
    const resumed = finalHashesByRun(join(workdir, 'tasks', '0.deltascope'))['s1/pretrain'];
    expect(resumed).toBeDefined();
    expect(resumed).toBe(finalHashesByRun(join(uninterrupted, 'tasks', '0.deltascope'))['s1/pretrain']);
    expect(readFileSync(log, 'utf8')).toMatch(/SIGTERM: writing a last checkpoint[\s\S]*task 0: done/);
  });
});
