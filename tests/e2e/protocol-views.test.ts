import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/server';
import { closeSession, openSession, type E2eSession } from './helpers/session';

/**
 * The views over a whole protocol experiment, on the tiny protocol database of the previous version
 * (61 nodes, 18 runs; see tests/fixtures/previous-version/README.md): the lineage graph's fit, zoom,
 * pan and minimap; the progress view's stages with timings and nodes that open their run.
 */
const FIXTURE = join(REPO_ROOT, 'tests/fixtures/previous-version/v1-tiny-5x5.deltascope');
let session: E2eSession | null = null;
let page: Page;
let pageErrors: string[] = [];
const shots = process.env.DELTASCOPE_E2E_SHOTS;

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await page.screenshot({ path: join(shots, name) });
}

beforeAll(async () => {
  session = await openSession('protocol-views', 'v1.deltascope', (db) => copyFileSync(FIXTURE, db), {
    width: 1440,
    height: 900,
  });
  ({ page, pageErrors } = session);
});

afterAll(() => closeSession(session));

type Box = { x: number; y: number; width: number; height: number };

function inside(inner: Box, outer: Box): boolean {
  return (
    inner.x >= outer.x - 0.5 &&
    inner.y >= outer.y - 0.5 &&
    inner.x + inner.width <= outer.x + outer.width + 0.5 &&
    inner.y + inner.height <= outer.y + outer.height + 0.5
  );
}

describe('lineage graph', () => {
  it('fits the whole graph into the window, zooms and pans, with a minimap of where the view is', async () => {
    await page.locator('nav [data-view="lineage"]').click({ timeout: 30_000 });
    const frame = page.getByTestId('lineage-viewport');
    await frame.waitFor();
    const nodes = page.locator('.lineage__node');
    await expect.poll(() => nodes.count()).toBeGreaterThan(30);
    const lanes = page.getByTestId('lineage-lane');
    const viewBox = (await frame.boundingBox())!;
    const boxes = async (): Promise<Box[]> => [
      ...(await nodes.evaluateAll((all) => all.map((n) => n.getBoundingClientRect().toJSON() as Box))),
    ];

    await page.getByTestId('lineage-fit').click();
    const fitted = await boxes();
    expect(fitted.every((box) => inside(box, viewBox))).toBe(true);
    const laneBoxes = await lanes.evaluateAll((all) =>
      all.map((n) => n.getBoundingClientRect().toJSON() as Box),
    );
    expect(laneBoxes.every((box) => inside(box, viewBox))).toBe(true);
    // The graph is taller than the window at 1:1, so fitting shrank it.
    expect(Number((await page.getByTestId('lineage-zoom').innerText()).replace('%', ''))).toBeLessThan(100);
    await shot('lineage-fit.png');

    // Zooming in at the centre pushes nodes out of the window; the minimap shows where the view is.
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await page.getByRole('button', { name: 'Zoom in' }).click();
    expect((await boxes()).some((box) => !inside(box, viewBox))).toBe(true);
    const minimap = page.getByTestId('lineage-minimap');
    await minimap.waitFor();

    // Dragging the background pans by the drag.
    const before = (await boxes())[0]!;
    await page.mouse.move(viewBox.x + viewBox.width - 40, viewBox.y + 20);
    await page.mouse.down();
    await page.mouse.move(viewBox.x + viewBox.width - 140, viewBox.y + 60, { steps: 4 });
    await page.mouse.up();
    const after = (await boxes())[0]!;
    expect(after.x - before.x).toBeCloseTo(-100, 0);
    expect(after.y - before.y).toBeCloseTo(40, 0);
    await shot('lineage-zoomed.png');

    // Lane labels carry the run's full name on hover; once the label column is off screen, the names
    // stay pinned to the window's left edge.
    await expect(lanes.first().getAttribute('title')).resolves.toMatch(/^s1\/pretrain \(pretrain\)/);
    const pinned = page.getByTestId('lineage-pinned-lane');
    await expect.poll(() => pinned.count()).toBeGreaterThan(3);
    const pinnedTitles = await pinned.evaluateAll((all) => all.map((n) => n.getAttribute('title') ?? ''));
    expect(pinnedTitles.some((title) => title.startsWith('s1/derive/coin/negate/0.5/recover'))).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

describe('protocol progress', () => {
  it('groups nodes by stage with counts and timings, and a clicked node opens its run', async () => {
    await page.locator('nav [data-view="protocol"]').click();
    await page.getByTestId('protocol-item').first().click();
    const stages = page.getByTestId('protocol-nodes');
    await stages.waitFor();
    const pretrainStage = stages.locator('[data-stage="pretrain"]');
    await expect(pretrainStage.locator('summary').innerText()).resolves.toMatch(/\d+ \/ \d+ done/);
    await expect(pretrainStage.getByTestId('protocol-stage-time').innerText()).resolves.toMatch(
      /\d+:\d\d wall · \d+:\d\d node time/,
    );

    const node = page.locator('[data-testid="protocol-node"][data-node="s1/finetune/coin"]');
    await node.click();
    const detail = page.getByTestId('protocol-node-detail');
    await expect(detail.innerText()).resolves.toMatch(/took \d+:\d\d/);
    await shot('protocol-progress.png');
    await detail.getByTestId('protocol-node-open-run').click();
    const runPanel = page.getByTestId('run-panel');
    await runPanel.getByRole('heading', { name: /s1\/finetune\/coin/ }).waitFor();
    await expect(
      page.getByRole('treeitem', { name: /^s1\/finetune\/coin,/ }).getAttribute('aria-selected'),
    ).resolves.toBe('true');
    expect(pageErrors).toEqual([]);
  });
});
