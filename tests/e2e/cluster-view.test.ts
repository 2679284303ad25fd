import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src-main/store';
import { tinyExperiment } from '../integration/jobs/protocol-test-helpers';
import { REPO_ROOT } from './helpers/server';
import { closeSession, openSession, type E2eSession } from './helpers/session';

/**
 * Following an experiment run as tasks (issue 13 item 7): the Cluster view reads a work folder's
 * status, re-reads it by itself as tasks finish, and "Merge results" makes a database the app opens.
 * The work folder is planned for Slurm (`--dry-run`, nothing submitted) and its first task is run
 * here with `deltascope task`, as array element 0 would; complete merges are tested through the API
 * (tests/integration/cluster/cluster-api.test.ts) and the CLI (cluster-local.test.ts).
 */
let session: E2eSession | null = null;
let page: Page;
let pageErrors: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'deltascope-e2e-cluster-work-'));
const workdir = join(work, 'exp1');
const shots = process.env.DELTASCOPE_E2E_SHOTS;
const bin = join(REPO_ROOT, 'bin/deltascope.cjs');

/** Runs the CLI without blocking the test's event loop (a local run takes a minute). */
async function deltascope(args: string[]): Promise<void> {
  await promisify(execFile)(process.execPath, [bin, ...args], { cwd: REPO_ROOT, maxBuffer: 1 << 26 });
}

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await page.screenshot({ path: join(shots, name), fullPage: true });
}

beforeAll(async () => {
  session = await openSession('cluster', 'open.deltascope', (db) => createDatabase(db).close(), {
    width: 1440,
    height: 900,
  });
  ({ page, pageErrors } = session);
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

afterAll(async () => {
  await closeSession(session);
  rmSync(work, { recursive: true, force: true });
});

describe('the Cluster view in Chromium against the headless server', () => {
  it('names a folder that is not a work folder', async () => {
    await page.locator('nav [data-view="cluster"]').click({ timeout: 30_000 });
    await page.getByTestId('cluster-workdir').fill(work);
    await page.getByTestId('cluster-workdir').press('Enter');
    await expect
      .poll(() => page.getByTestId('cluster-error').innerText(), { timeout: 30_000 })
      .toContain(`${work} is not a Deltascope work folder`);
  });

  it('follows a planned folder and re-reads it by itself as a task finishes', async () => {
    await page.getByTestId('cluster-workdir').fill(workdir);
    await page.getByTestId('cluster-workdir').press('Enter');
    const summary = page.getByTestId('cluster-summary');
    await expect.poll(() => summary.innerText(), { timeout: 30_000 }).toMatch(/^0 of \d+ tasks done$/);
    const total = Number(/of (\d+)/.exec(await summary.innerText())![1]);
    const stages = page.locator('[data-testid="cluster-stages"] tbody tr');
    await expect(stages.first().innerText()).resolves.toContain('pretrain');
    await shot('cluster-planned.png');

    await deltascope(['task', workdir, '0']); // the first pretraining, as array element 0 would run it
    await expect
      .poll(() => summary.innerText(), { timeout: 30_000, interval: 1000 })
      .toMatch(new RegExp(`^1 of ${total} tasks done`));
  });

  it('merges the finished tasks into a new database and opens it', async () => {
    await expect(page.getByTestId('cluster-merge-target').inputValue()).resolves.toBe(
      `${workdir}/cluster-e2e.deltascope`,
    );
    const target = join(work, 'merged-in-app.deltascope');
    await page.getByTestId('cluster-merge-target').fill(target);
    // One task of the plan is done: the merge says it takes only the finished ones.
    await expect(page.getByTestId('cluster-merge').innerText()).resolves.toBe('Merge 1 finished task');
    await page.getByTestId('cluster-merge').click();
    await expect
      .poll(() => page.getByTestId('cluster-merged').innerText(), { timeout: 60_000 })
      .toContain(target);
    await shot('cluster-merged.png');
    await page.getByTestId('cluster-merged').getByRole('button', { name: 'Open it' }).click();
    await expect
      .poll(() => page.getByTestId('open-database').innerText(), { timeout: 30_000 })
      .toContain('merged-in-app.deltascope');
    await expect.poll(() => page.locator('body').innerText(), { timeout: 30_000 }).toContain('cluster-e2e');
    expect(pageErrors).toEqual([]);
  });
});
