import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { failNode } from '../../src-main/jobs/protocol/protocol-store';
import { openDatabase } from '../../src-main/store';
import { REPO_ROOT } from './helpers/server';
import { useE2eSession } from './helpers/session';

/**
 * The views over a whole protocol experiment, on the tiny protocol database of the previous version
 * (61 nodes, 18 runs; see tests/fixtures/previous-version/README.md): the lineage graph's fit, zoom,
 * pan and minimap; the progress view's stages with timings and nodes that open their run; the agent
 * viewer's maze scan of two checkpoints (MA = #5, coin negated at α = 1 = #11) and side-by-side replay.
 */
const FIXTURE = join(REPO_ROOT, 'tests/fixtures/previous-version/v1-tiny-5x5.deltascope');
const FAILED_NODE = 's1/analysis/negation';
const FAILED_ERROR = 'INTERNAL: planted failure of the negation analysis (e2e fixture)';
const shots = process.env.DELTASCOPE_E2E_SHOTS;

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, name) });
}

const e2e = useE2eSession(
  'protocol-views',
  'v1.deltascope',
  (db) => {
    copyFileSync(FIXTURE, db);
    // A failed node to retry: the negation analysis, as the runner records a failure.
    const store = openDatabase(db);
    try {
      failNode(store, 1, FAILED_NODE, FAILED_ERROR);
    } finally {
      store.close();
    }
  },
  {
    width: 1440,
    height: 900,
  },
);

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
    await e2e.page.locator('nav [data-view="lineage"]').click({ timeout: 30_000 });
    const frame = e2e.page.getByTestId('lineage-viewport');
    await frame.waitFor();
    const nodes = e2e.page.locator('.lineage__node');
    await expect.poll(() => nodes.count()).toBeGreaterThan(30);
    const lanes = e2e.page.getByTestId('lineage-lane');
    const viewBox = (await frame.boundingBox())!;
    const boxes = async (): Promise<Box[]> => [
      ...(await nodes.evaluateAll((all) => all.map((n) => n.getBoundingClientRect().toJSON() as Box))),
    ];

    await e2e.page.getByTestId('lineage-fit').click();
    const fitted = await boxes();
    expect(fitted.every((box) => inside(box, viewBox))).toBe(true);
    const laneBoxes = await lanes.evaluateAll((all) =>
      all.map((n) => n.getBoundingClientRect().toJSON() as Box),
    );
    expect(laneBoxes.every((box) => inside(box, viewBox))).toBe(true);
    // The graph is taller than the window at 1:1, so fitting shrank it.
    expect(Number((await e2e.page.getByTestId('lineage-zoom').innerText()).replace('%', ''))).toBeLessThan(
      100,
    );
    await shot('lineage-fit.png');

    // Zooming in at the centre pushes nodes out of the window; the minimap shows where the view is.
    await e2e.page.getByRole('button', { name: 'Zoom in' }).click();
    await e2e.page.getByRole('button', { name: 'Zoom in' }).click();
    await e2e.page.getByRole('button', { name: 'Zoom in' }).click();
    expect((await boxes()).some((box) => !inside(box, viewBox))).toBe(true);
    const minimap = e2e.page.getByTestId('lineage-minimap');
    await minimap.waitFor();

    // Dragging the background pans by the drag.
    const before = (await boxes())[0]!;
    await e2e.page.mouse.move(viewBox.x + viewBox.width - 40, viewBox.y + 20);
    await e2e.page.mouse.down();
    await e2e.page.mouse.move(viewBox.x + viewBox.width - 140, viewBox.y + 60, { steps: 4 });
    await e2e.page.mouse.up();
    const after = (await boxes())[0]!;
    expect(after.x - before.x).toBeCloseTo(-100, 0);
    expect(after.y - before.y).toBeCloseTo(40, 0);
    await shot('lineage-zoomed.png');

    // Lane labels carry the run's full name on hover; once the label column is off screen, the names
    // stay pinned to the window's left edge.
    await expect(lanes.first().getAttribute('title')).resolves.toMatch(/^s1\/pretrain \(pretrain\)/);
    const pinned = e2e.page.getByTestId('lineage-pinned-lane');
    await expect.poll(() => pinned.count()).toBeGreaterThan(3);
    const pinnedTitles = await pinned.evaluateAll((all) => all.map((n) => n.getAttribute('title') ?? ''));
    expect(pinnedTitles.some((title) => title.startsWith('s1/derive/coin/negate/0.5/recover'))).toBe(true);
    expect(e2e.pageErrors).toEqual([]);
  });
});

describe('protocol progress', () => {
  it('groups nodes by stage with counts and timings, and a clicked node opens its run', async () => {
    await e2e.page.locator('nav [data-view="protocol"]').click();
    await e2e.page.getByTestId('protocol-item').first().click();
    const stages = e2e.page.getByTestId('protocol-nodes');
    await stages.waitFor();
    const pretrainStage = stages.locator('[data-stage="pretrain"]');
    await expect(pretrainStage.locator('summary').innerText()).resolves.toMatch(/\d+ \/ \d+ done/);
    await expect(pretrainStage.getByTestId('protocol-stage-time').innerText()).resolves.toMatch(
      /\d+:\d\d wall · \d+:\d\d node time/,
    );

    const node = e2e.page.locator('[data-testid="protocol-node"][data-node="s1/finetune/coin"]');
    await node.click();
    const detail = e2e.page.getByTestId('protocol-node-detail');
    await expect(detail.innerText()).resolves.toMatch(/took \d+:\d\d/);
    await shot('protocol-progress.png');
    await detail.getByTestId('protocol-node-open-run').click();
    const runPanel = e2e.page.getByTestId('run-panel');
    await runPanel.getByRole('heading', { name: /s1\/finetune\/coin/ }).waitFor();
    await expect(
      e2e.page.getByRole('treeitem', { name: /^s1\/finetune\/coin,/ }).getAttribute('aria-selected'),
    ).resolves.toBe('true');
    expect(e2e.pageErrors).toEqual([]);
  });
});

describe('a failed protocol node', () => {
  it('shows its error and log, and Retry runs it again to done', async () => {
    await e2e.page.locator('nav [data-view="protocol"]').click();
    await e2e.page.getByTestId('protocol-item').first().click();
    const node = e2e.page.locator(`[data-testid="protocol-node"][data-node="${FAILED_NODE}"]`);
    await expect.poll(() => node.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    await node.click();
    const detail = e2e.page.getByTestId('protocol-node-detail');
    await expect(detail.getByTestId('protocol-node-error').innerText()).resolves.toBe(FAILED_ERROR);

    // Its log: the first attempt done, the planted failure after it.
    await detail.getByTestId('protocol-node-open-log').click();
    const lines = detail.getByTestId('protocol-node-log-lines');
    await expect.poll(() => lines.innerText()).toMatch(/attempt 1: done[\s\S]*artifact #\d+/);
    await expect(lines.innerText()).resolves.toMatch(
      /attempt 2: failed[\s\S]*error: INTERNAL: planted failure/,
    );
    await shot('protocol-node-failed-log.png');

    await detail.getByTestId('protocol-node-retry').click();
    await expect.poll(() => node.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    // The detail follows the node: no error, and the open log gains the retry's attempt.
    await expect(detail.getByTestId('protocol-node-error').count()).resolves.toBe(0);
    await expect.poll(() => lines.innerText(), { timeout: 30_000 }).toMatch(/attempt 3: done/);
    await shot('protocol-node-retried.png');
    expect(e2e.pageErrors).toEqual([]);
  });
});

describe('agent viewer: picking episodes by behaviour', () => {
  it('scans mazes with two checkpoints, lists what each collected, and replays a picked maze side by side', async () => {
    await e2e.page.locator('nav [data-view="agent"]').click();
    await e2e.page.getByTestId('agent-checkpoint').selectOption('5');
    await e2e.page.getByTestId('agent-compare-checkpoint').selectOption('11');
    await e2e.page.getByTestId('agent-compare-canvas-B').waitFor();
    await e2e.page.getByTestId('agent-scan').getByRole('spinbutton', { name: 'Mazes to scan' }).fill('16');
    await e2e.page.getByTestId('agent-scan').getByRole('spinbutton', { name: 'Mazes to scan' }).press('Tab');
    await e2e.page.getByTestId('agent-scan-condition').selectOption('any');
    await e2e.page.getByTestId('agent-scan-run').click();
    const count = e2e.page.getByTestId('agent-scan-count');
    await expect.poll(() => count.innerText(), { timeout: 60_000 }).toContain('16 of 16 mazes match');
    await expect(e2e.page.getByTestId('agent-scan-totals').innerText()).resolves.toMatch(
      /A collected .*\/16[\s\S]*B collected/,
    );

    // "A collects <kind>": every listed maze shows that kind in A's column.
    await e2e.page.getByTestId('agent-scan-condition').selectOption('a-collects');
    const kinds = await e2e.page
      .getByTestId('agent-scan-kind')
      .locator('option')
      .evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
    let picked = 0;
    for (const kind of kinds) {
      await e2e.page.getByTestId('agent-scan-kind').selectOption(kind);
      const rows = e2e.page.getByTestId('agent-scan-maze');
      const aColumns = await rows.evaluateAll((all) => all.map((row) => row.children[1]?.textContent ?? ''));
      expect(aColumns.every((text) => text.includes(kind))).toBe(true);
      if (aColumns.length > 0 && picked === 0) picked = aColumns.length;
      if (picked > 0) break;
    }
    expect(picked).toBeGreaterThan(0);
    const first = e2e.page.getByTestId('agent-scan-maze').first();
    const maze = await first.getAttribute('data-maze');
    await first.click();
    await expect.poll(() => e2e.page.getByTestId('agent-maze-seed').inputValue()).toBe(maze);
    await e2e.page.locator(`[data-testid="agent-compare-outcome-A"][data-maze="${maze}"]`).waitFor();
    await e2e.page.locator(`[data-testid="agent-compare-outcome-B"][data-maze="${maze}"]`).waitFor();
    await expect(e2e.page.getByTestId('agent-compare-outcome-A').innerText()).resolves.toMatch(
      /\d+ steps · collected/,
    );
    await e2e.page.getByTestId('agent-compare').scrollIntoViewIfNeeded();
    await shot('agent-compare.png');
    // A and B were recorded at once: neither failed (two first backend activations used to collide).
    await expect(
      e2e.page.getByTestId('toast').filter({ hasText: 'Recording an episode' }).count(),
    ).resolves.toBe(0);
    expect(e2e.pageErrors).toEqual([]);
  });
});
