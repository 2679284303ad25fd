import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { DELTASCOPE_BIN as bin, deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import {
  checkpointCount,
  countDoneNodes,
  finalHashesByRun,
  runNames,
  waitFor,
  writeSpec,
} from './cluster-helpers';

const temp = makeTempDir('cluster-local');
beforeAll(async () => {
  await ensureFreshBundle(['cli.cjs', 'worker.cjs']);
}, 120_000);
afterAll(() => temp.cleanup());
const cli = deltascopeProcess({ home: temp.dir });

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('deltascope run --on local: the task/merge path on this machine', { timeout: 600_000 }, () => {
  const workdir = join(temp.dir, 'work');
  const merged = join(temp.dir, 'merged.deltascope');
  let spec = '';

  it('runs every task as its own process and merges them into the same experiment a single-process run makes', async () => {
    spec = writeSpec(temp.dir, 'local-tasks');
    const tasks = await cli(
      'run',
      spec,
      '--db',
      merged,
      '--on',
      'local',
      '--workdir',
      workdir,
      '--workers',
      '2',
    );
    expect({ code: tasks.code, stderr: tasks.stderr }).toEqual({ code: 0, stderr: '' });
    expect(tasks.stdout).toMatch(/Planned "local-tasks": \d+ tasks in \d+ stages/);
    const single = join(temp.dir, 'single.deltascope');
    expect((await cli('run', spec, '--db', single)).code).toBe(0);

    // Same seeds → bit-identical checkpoints, whichever path ran them; the merged file is complete.
    const viaTasks = finalHashesByRun(merged);
    expect(Object.keys(viaTasks).length).toBeGreaterThan(10);
    expect(viaTasks).toEqual(finalHashesByRun(single));
    // The same run tree: one run per name (the derived run too, though many tasks add checkpoints to it).
    expect(runNames(merged)).toEqual(runNames(single));
    expect(countDoneNodes(merged)).toBe(countDoneNodes(single));
    const info = await cli('info', merged, '--json');
    expect(info.code).toBe(0);
  });

  it('merges again without adding anything', async () => {
    const again = await cli('merge', workdir, '--into', merged);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Merged \d+\/\d+ tasks .* \(nothing new\)\./);
  });

  it('refuses a task file of another experiment and leaves the target as it was', async () => {
    const otherWork = join(temp.dir, 'other');
    const otherSpec = writeSpec(temp.dir, 'other-experiment', { seeds: 1, alphas: [1] });
    expect(
      (
        await cli(
          'run',
          otherSpec,
          '--db',
          join(temp.dir, 'o.deltascope'),
          '--on',
          'slurm',
          '--workdir',
          otherWork,
          '--dry-run',
        )
      ).code,
    ).toBe(0);
    // Task 0 of the other plan (its pretraining) dropped into this work folder in place of ours.
    expect((await cli('task', otherWork, '0')).code).toBe(0);
    const ours = join(workdir, 'tasks', '0.deltascope');
    const saved = join(temp.dir, 'ours-0.deltascope');
    copyFileSync(ours, saved);
    copyFileSync(join(otherWork, 'tasks', '0.deltascope'), ours);
    const before = sha(merged);
    const refused = await cli('merge', workdir, '--into', merged);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(ours);
    expect(refused.stderr).toMatch(/belongs to another experiment/);
    expect(sha(merged)).toBe(before);
    copyFileSync(saved, ours);
  });

  it('leaves the target whole when the merge is killed at any moment', async () => {
    const target = join(temp.dir, 'killed.deltascope');
    for (const delayMs of [30, 120, 250, 400, 600]) {
      const child = spawn(process.execPath, [bin, 'merge', workdir, '--into', target], { stdio: 'ignore' });
      // Listen before killing: a fast merge may already have exited by then.
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await exited;
      // Either no file yet or a complete merge — never half of one.
      if (existsSync(target)) expect(countDoneNodes(target)).toBe(countDoneNodes(merged));
    }
    rmSync(target, { force: true });
    expect((await cli('merge', workdir, '--into', target)).code).toBe(0);
    expect(finalHashesByRun(target)).toEqual(finalHashesByRun(merged));
  });

  it('resumes a training task killed with SIGKILL bit-identically from its last checkpoint', async () => {
    const longSpec = writeSpec(temp.dir, 'long-pretrain', { pretrainSteps: 8192 });
    const plan = (name: string): Promise<unknown> =>
      cli(
        'run',
        longSpec,
        '--db',
        join(temp.dir, `${name}.deltascope`),
        '--on',
        'slurm',
        '--workdir',
        join(temp.dir, name),
        '--dry-run',
      );
    await plan('killed');
    await plan('uninterrupted');
    const killedFile = join(temp.dir, 'killed', 'tasks', '0.deltascope');
    const child = spawn(process.execPath, [bin, 'task', join(temp.dir, 'killed'), '0'], {
      stdio: 'ignore',
      detached: true,
    });
    // Kill the task and its training worker once a checkpoint past the first has been written.
    await waitFor(
      'a checkpoint after step 0',
      () => existsSync(killedFile) && checkpointCount(killedFile) >= 2,
      120_000,
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect(countDoneNodes(killedFile)).toBe(0);
    expect((await cli('task', join(temp.dir, 'killed'), '0')).code).toBe(0);
    expect((await cli('task', join(temp.dir, 'uninterrupted'), '0')).code).toBe(0);
    const resumed = finalHashesByRun(killedFile)['s1/pretrain'];
    expect(resumed).toBeDefined();
    expect(resumed).toBe(
      finalHashesByRun(join(temp.dir, 'uninterrupted', 'tasks', '0.deltascope'))['s1/pretrain'],
    );
  });
});
