import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namedSeriesColors } from '../../src-main/shared/charts/palette';
import { writeSampleDatabase } from '../fixtures/sample-db';
import { colorCoverage, cropRows, decodePng } from './helpers/png';
import { closeSession, openSession, type E2eSession } from './helpers/session';

/** The chart's legend row; the plot grid starts below it (see charts/line-chart-options.ts). */
const LEGEND_HEIGHT_PX = 30;

let dir = '';
let session: E2eSession | null = null;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  session = await openSession('browser', 'sample.deltascope', (db, dir) => {
    writeSampleDatabase(db);
    writeFileSync(join(dir, 'not-a-db.deltascope'), 'These are notes, not a database.\n');
  });
  ({ dir, page, pageErrors } = session);
});

afterAll(() => closeSession(session));

/** The tree row of a run (rows are labelled "name, phase, reward …"). */
function treeItem(runName: string) {
  return page.getByRole('treeitem', { name: new RegExp(`^${runName},`) });
}

describe('run browser in Chromium against the headless server', () => {
  it('lists the experiment and its runs in the tree', async () => {
    const tree = page.getByRole('tree');
    await tree.waitFor({ timeout: 30_000 });
    await expect(tree.getByRole('treeitem', { name: /^maze-cheese-demo,/ }).isVisible()).resolves.toBe(true);
    for (const run of ['MA', 'coin', 'red-gem', 'null-control']) {
      await expect(treeItem(run).isVisible()).resolves.toBe(true);
    }
    // The address bar no longer shows the token once the page has read it.
    expect(page.url()).not.toContain('token=');
  });

  it('draws the selected run’s metric curves as coloured lines across the plot', async () => {
    await treeItem('MA').click();
    const chart = page.locator('[data-testid="metrics-chart"][data-family="charts/episodic_return"]');
    await chart.waitFor({ timeout: 30_000 });
    const canvas = chart.locator('[data-testid="metrics-chart-canvas"] canvas').first();
    await canvas.waitFor();
    const box = await canvas.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(200);

    const image = decodePng(await chart.locator('[data-testid="metrics-chart-canvas"]').screenshot());
    // Below the legend (whose swatch also has the series colour) only the plot remains. The smoothed
    // line is drawn in its name's colour at full opacity; anti-aliasing blends its edges, so
    // count pixels close to that colour.
    const plot = cropRows(image, LEGEND_HEIGHT_PX);
    const line = colorCoverage(plot, namedSeriesColors(['episodic_return'])[0]!, 40);
    expect(line.pixels).toBeGreaterThan(300);
    // A curve over the whole run spans most of the plot's width.
    expect(line.columns).toBeGreaterThan(plot.width * 0.6);
    expect(line.maxX - line.minX).toBeGreaterThan(plot.width * 0.7);
    expect(pageErrors).toEqual([]);
  });

  it('shows why a non-database file cannot be opened, and keeps the open database usable', async () => {
    await page.keyboard.press('Control+O');
    const dialog = page.getByTestId('file-dialog');
    await dialog.waitFor();
    await dialog.locator('[role="listbox"][aria-busy="false"]').waitFor();
    const path = join(dir, 'not-a-db.deltascope');
    await page.getByTestId('file-dialog-path').fill(path);
    await page.getByTestId('file-dialog-path').press('Enter');

    const toast = page.getByTestId('toast').filter({ hasText: 'not-a-db.deltascope' });
    await toast.waitFor({ timeout: 15_000 });
    await expect(toast.innerText()).resolves.toContain('is not a Deltascope database');
    await expect(dialog.getByRole('alert').innerText()).resolves.toContain('not-a-db.deltascope');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(page.getByTestId('open-database').innerText()).resolves.toContain('sample.deltascope');
    await treeItem('coin').click();
    await page.getByTestId('run-panel').getByRole('heading', { name: /coin/ }).waitFor();
    await page.locator('[data-testid="metrics-chart"]').first().waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByTestId('toast').count()).resolves.toBe(0);
  });
});
