import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedSeriesColors, SERIES_PALETTE } from '../../src-main/shared/charts/palette';
import { writeSampleDatabase } from '../fixtures/sample-db';
import { colorCoverage, cropRows, decodePng, parseHexColor, pixel } from './helpers/png';
import { useE2eSession } from './helpers/session';

/** The chart's legend row; the plot grid starts below it (see charts/line-chart-options.ts). */
const LEGEND_HEIGHT_PX = 30;

const shots = process.env.DELTASCOPE_E2E_SHOTS;

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, name) });
}

const e2e = useE2eSession(
  'browser',
  'sample.deltascope',
  (db, dir) => {
    writeSampleDatabase(db);
    writeFileSync(join(dir, 'not-a-db.deltascope'), 'These are notes, not a database.\n');
  },
  { width: 1440, height: 900 },
);

/** The tree row of a run (rows are labelled "name, phase, reward …"). */
function treeItem(runName: string) {
  return e2e.page.getByRole('treeitem', { name: new RegExp(`^${runName},`) });
}

describe('run browser in Chromium against the headless server', () => {
  it('lists the experiment and its runs in the tree', async () => {
    const tree = e2e.page.getByRole('tree');
    await tree.waitFor({ timeout: 30_000 });
    await expect(tree.getByRole('treeitem', { name: /^maze-cheese-demo,/ }).isVisible()).resolves.toBe(true);
    for (const run of ['MA', 'coin', 'red-gem', 'null-control']) {
      await expect(treeItem(run).isVisible()).resolves.toBe(true);
    }
    // The address bar no longer shows the token once the e2e.page has read it.
    expect(e2e.page.url()).not.toContain('token=');
  });

  it('draws the selected run’s metric curves as coloured lines across the plot', async () => {
    await treeItem('MA').click();
    const chart = e2e.page.locator('[data-testid="metrics-chart"][data-family="charts/episodic_return"]');
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
    expect(e2e.pageErrors).toEqual([]);
  });

  it('draws a metric on a log y axis: the small values of a decaying loss rise off the floor', async () => {
    const chart = e2e.page.locator('[data-testid="metrics-chart"][data-family="losses/value_loss"]');
    await chart.scrollIntoViewIfNeeded();
    const color = namedSeriesColors(['value_loss'])[0]!;
    /** Mean row of the line's pixels over the last quarter of the plot (its tail), as a fraction of the plot's height. */
    const tailRow = async (): Promise<number> => {
      const plot = cropRows(
        decodePng(await chart.getByTestId('metrics-chart-canvas').screenshot()),
        LEGEND_HEIGHT_PX,
      );
      const [r, g, b] = parseHexColor(color);
      let sum = 0;
      let n = 0;
      for (let y = 0; y < plot.height; y++) {
        for (let x = Math.floor(plot.width * 0.75); x < plot.width; x++) {
          const [pr, pg, pb] = pixel(plot, x, y);
          if (Math.max(Math.abs(pr - r), Math.abs(pg - g), Math.abs(pb - b)) > 40) continue;
          sum += y;
          n++;
        }
      }
      expect(n).toBeGreaterThan(20);
      return sum / n / plot.height;
    };
    const linear = await tailRow();
    await e2e.page.getByTestId('chart-log-y').first().check();
    await expect.poll(tailRow, { timeout: 10_000 }).toBeLessThan(linear - 0.05);
    await shot('run-browser-log-y.png');
    await e2e.page.getByTestId('chart-log-y').first().uncheck();
    await expect.poll(tailRow, { timeout: 10_000 }).toBeGreaterThan(linear - 0.02);
  });

  it('zooms into a dragged region of a chart (the x range it shows narrows) and resets', async () => {
    const chart = e2e.page.locator('[data-testid="metrics-chart"][data-family="charts/episodic_return"]');
    await chart.scrollIntoViewIfNeeded();
    await expect(chart.getByTestId('metrics-chart-x-range').count()).resolves.toBe(0);
    const box = (await chart.getByTestId('metrics-chart-canvas').boundingBox())!;
    // From inside the plot's top to below its bottom: the rectangle spans every y, so only x narrows.
    await e2e.page.mouse.move(box.x + box.width * 0.35, box.y + 50);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(box.x + box.width * 0.6, box.y + box.height - 5, { steps: 6 });
    await e2e.page.mouse.up();
    await e2e.page.mouse.move(box.x + box.width + 40, box.y - 40);
    const range = chart.getByTestId('metrics-chart-x-range');
    await range.waitFor({ timeout: 10_000 });
    const [from, to] = [...(await range.innerText()).matchAll(/([\d.]+)([kM]?)/g)]
      .slice(0, 2)
      .map(([, n, unit]) => Number(n) * (unit === 'k' ? 1e3 : unit === 'M' ? 1e6 : 1));
    // The run's steps span 2 048 … 200 704: the dragged 35 %–60 % of the canvas is a window inside it.
    expect(from).toBeGreaterThan(30_000);
    expect(to).toBeLessThan(170_000);
    expect(to! - from!).toBeLessThan(100_000);
    await shot('run-browser-zoomed.png');
    await chart.getByTestId('metrics-chart-reset-zoom').click();
    await expect(range.count()).resolves.toBe(0);
    expect(e2e.pageErrors).toEqual([]);
  });

  it('shows why a non-database file cannot be opened, and keeps the open database usable', async () => {
    await e2e.page.keyboard.press('Control+O');
    const dialog = e2e.page.getByTestId('file-dialog');
    await dialog.waitFor();
    await dialog.locator('[role="listbox"][aria-busy="false"]').waitFor();
    const path = join(e2e.dir, 'not-a-db.deltascope');
    await e2e.page.getByTestId('file-dialog-path').fill(path);
    await e2e.page.getByTestId('file-dialog-path').press('Enter');

    const toast = e2e.page.getByTestId('toast').filter({ hasText: 'not-a-db.deltascope' });
    await toast.waitFor({ timeout: 15_000 });
    await expect(toast.innerText()).resolves.toContain('is not a Deltascope database');
    await expect(dialog.getByRole('alert').innerText()).resolves.toContain('not-a-db.deltascope');

    await e2e.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(e2e.page.getByTestId('open-database').innerText()).resolves.toContain('sample.deltascope');
    await treeItem('coin').click();
    await e2e.page.getByTestId('run-panel').getByRole('heading', { name: /coin/ }).waitFor();
    await e2e.page.locator('[data-testid="metrics-chart"]').first().waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await expect(e2e.page.getByTestId('toast').count()).resolves.toBe(0);
  });

  it('narrows the tree to the runs a filter finds, and says when none does', async () => {
    const filter = e2e.page.getByTestId('tree-filter');
    await filter.fill('coin');
    await expect(treeItem('coin').isVisible()).resolves.toBe(true);
    await expect(treeItem('MA').count()).resolves.toBe(0);
    await expect(treeItem('null-control').count()).resolves.toBe(0);
    await filter.fill('finetune red');
    await expect(e2e.page.getByRole('treeitem', { name: /^red-gem,/ }).isVisible()).resolves.toBe(true);
    await expect(treeItem('coin').count()).resolves.toBe(0);
    await filter.fill('nothing-like-this');
    await e2e.page.getByTestId('tree-no-match').waitFor();
    await filter.fill('');
    await expect(treeItem('MA').isVisible()).resolves.toBe(true);
  });

  it('overlays two runs ticked in the tree as two lines of their own colours in one chart', async () => {
    await treeItem('MA').getByTestId('tree-overlay').click();
    await treeItem('null-control').getByTestId('tree-overlay').click();
    const panel = e2e.page.getByTestId('compare-panel');
    await panel.getByRole('heading', { name: 'Compare 2 runs' }).waitFor();
    const canvas = panel.locator('[data-testid="metrics-chart-canvas"]');
    await canvas.locator('canvas').first().waitFor({ timeout: 30_000 });
    await e2e.page.waitForTimeout(300);
    const plot = cropRows(decodePng(await canvas.screenshot()), LEGEND_HEIGHT_PX);
    for (const color of SERIES_PALETTE.slice(0, 2)) {
      const line = colorCoverage(plot, color, 40);
      expect(line.pixels).toBeGreaterThan(300);
      expect(line.maxX - line.minX).toBeGreaterThan(plot.width * 0.7);
    }
    // A third colour would mean a third line.
    expect(colorCoverage(plot, SERIES_PALETTE[2], 30).pixels).toBe(0);
    await shot('run-browser-overlay.png');
  });

  it('sorts the experiment’s run table by a header click, either way', async () => {
    await e2e.page.getByRole('treeitem', { name: /^maze-cheese-demo,/ }).click();
    const table = e2e.page.getByTestId('run-table');
    await table.waitFor();
    await table.getByTestId('final-return').first().filter({ hasText: /\d/ }).waitFor();
    const finals = async () =>
      (await table.getByTestId('final-return').allInnerTexts()).map((text) => Number(text));
    await table.locator('button[data-column="return"]').click();
    const down = await finals();
    expect(down.every((v) => Number.isFinite(v))).toBe(true);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    await table.locator('button[data-column="return"]').click();
    expect(await finals()).toEqual([...down].reverse());
    await table.locator('button[data-column="name"]').click();
    const names = await table
      .getByTestId('run-table-row')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run')));
    expect(names).toEqual(['coin', 'MA', 'null-control', 'red-gem']);
    await shot('run-browser-table.png');
    expect(e2e.pageErrors).toEqual([]);
  });
});
