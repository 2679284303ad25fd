import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src-main/store';
import { deltascopeProcess } from '../helpers/run-cli';
import { tinyExperiment } from '../integration/jobs/protocol-test-helpers';
import { REPO_ROOT } from './helpers/server';
import { useE2eSession } from './helpers/session';

/**
 * Following an experiment run as tasks (issue 13 item 7): the Cluster view reads a work folder's
 * status, re-reads it by itself as tasks finish, and "Merge results" makes a database the app opens.
 * The work folder is planned for Slurm (`--dry-run`, nothing submitted) and its first task is run
 * here with `deltascope task`, as array element 0 would; complete merges are tested through the API
 * (tests/integration/cluster/cluster-api.test.ts) and the CLI (cluster-local.test.ts).
 */
const work = mkdtempSync(join(tmpdir(), 'deltascope-e2e-cluster-work-'));
const workdir = join(work, 'exp1');
const shots = process.env.DELTASCOPE_E2E_SHOTS;
const cli = deltascopeProcess({ home: join(work, 'cli-home'), cwd: REPO_ROOT });

/** Runs the built CLI in its own process (not blocking the test's event loop); fails on a non-zero exit. */
async function deltascope(args: string[]): Promise<void> {
  const result = await cli(...args);
  expect(result.code, result.stderr).toBe(0);
}

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, name), fullPage: true });
}

const e2e = useE2eSession('cluster', 'open.deltascope', (db) => createDatabase(db).close(), {
  width: 1440,
  height: 900,
});

beforeAll(async () => {
  const spec = join(work, 'cluster-e2e.json');
  writeFileSync(spec, JSON.stringify(tinyExperiment({ name: 'cluster-e2e' })));
  await deltascope([
    'run',
    spec,
    '--db',
    join(work, 'unused.deltascope'),
    '--on',
    'slurm',
    '--workdir',
    workdir,
    '--dry-run',
  ]);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Cluster view in Chromium against the headless server', () => {
  it('names a folder that is not a work folder', async () => {
    await e2e.page.locator('nav [data-view="cluster"]').click({ timeout: 30_000 });
    await e2e.page.getByTestId('cluster-workdir').fill(work);
    await e2e.page.getByTestId('cluster-workdir').press('Enter');
    await expect
      .poll(() => e2e.page.getByTestId('cluster-error').innerText(), { timeout: 30_000 })
      .toContain(`${work} is not a Deltascope work folder`);
  });

  it('follows a planned folder and re-reads it by itself as a task finishes', async () => {
    await e2e.page.getByTestId('cluster-workdir').fill(workdir);
    await e2e.page.getByTestId('cluster-workdir').press('Enter');
    const summary = e2e.page.getByTestId('cluster-summary');
    await expect.poll(() => summary.innerText(), { timeout: 30_000 }).toMatch(/^0 of \d+ tasks done$/);
    const total = Number(/of (\d+)/.exec(await summary.innerText())![1]);
    const stages = e2e.page.locator('[data-testid="cluster-stages"] tbody tr');
    await expect(stages.first().innerText()).resolves.toContain('pretrain');
    await shot('cluster-planned.png');

    await deltascope(['task', workdir, '0']); // the first pretraining, as array element 0 would run it
    await expect
      .poll(() => summary.innerText(), { timeout: 30_000, interval: 1000 })
      .toMatch(new RegExp(`^1 of ${total} tasks done`));
  });

  it('merges the finished tasks into a new database and opens it', async () => {
    await expect(e2e.page.getByTestId('cluster-merge-target').inputValue()).resolves.toBe(
      `${workdir}/cluster-e2e.deltascope`,
    );
    const target = join(work, 'merged-in-app.deltascope');
    await e2e.page.getByTestId('cluster-merge-target').fill(target);
    // One task of the plan is done: the merge says it takes only the finished ones.
    await expect(e2e.page.getByTestId('cluster-merge').innerText()).resolves.toBe('Merge 1 finished task');
    await e2e.page.getByTestId('cluster-merge').click();
    await expect
      .poll(() => e2e.page.getByTestId('cluster-merged').innerText(), { timeout: 60_000 })
      .toContain(target);
    await shot('cluster-merged.png');
    await e2e.page.getByTestId('cluster-merged').getByRole('button', { name: 'Open it' }).click();
    await expect
      .poll(() => e2e.page.getByTestId('open-database').innerText(), { timeout: 30_000 })
      .toContain('merged-in-app.deltascope');
    await expect
      .poll(() => e2e.page.locator('body').innerText(), { timeout: 30_000 })
      .toContain('cluster-e2e');
    expect(e2e.pageErrors).toEqual([]);
  });
});
