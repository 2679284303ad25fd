import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TALL_SHAPE, TALL_SPIKE_ROW, TALL_TENSOR, writeTallDatabase } from '../fixtures/tall-db';
import { decodePng, isReddish, matrixBox, pixel } from './helpers/png';
import { useE2eSession } from './helpers/session';

/**
 * The demo's 1014 × 64 first layer at fit: it fills the panel both ways, its rows are under half a
 * pixel high, and the one changed row (Δ = +1 on every unit) still shows as a red line across the
 * whole width, because rows are pooled (largest |Δ| kept) while columns stay at full resolution.
 */
const e2e = useE2eSession(
  'heatmap-tall',
  'tall.deltascope',
  (db) => {
    writeTallDatabase(db);
  },
  { width: 1440, height: 900 },
);
const shots = process.env.DELTASCOPE_E2E_SHOTS;

describe('a 1014 × 64 tensor at fit', () => {
  it('fills the panel and keeps its single changed row visible across the width', async () => {
    await e2e.page.getByRole('tree').waitFor({ timeout: 30_000 });
    await e2e.page.getByTestId('compare-button').click();
    const filter = e2e.page.getByTestId('compare-filter');
    await filter.fill('tall-base');
    await filter.press('Enter');
    await filter.fill('tall-tuned');
    await filter.press('Enter');
    await filter.press('Enter');
    await e2e.page.locator(`[data-testid="diff-layer-table"] tbody tr[data-tensor="${TALL_TENSOR}"]`).click({
      timeout: 30_000,
    });
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TALL_TENSOR}"]`);
    await heatmap.and(e2e.page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    await heatmap.scrollIntoViewIfNeeded();
    await expect(heatmap.innerText()).resolves.toMatch(
      /each pixel shows the largest \|value\| of \d+ rows × 1 column/,
    );
    const canvas = heatmap.getByTestId('diff-heatmap-canvas');
    const [, y, , sy] = ((await canvas.getAttribute('data-view')) ?? '').split(' ').map(Number);
    expect(sy).toBeLessThan(0.5);
    const png = await canvas.screenshot();
    if (shots !== undefined) writeFileSync(join(shots, 'tall-heatmap.png'), png);
    const image = decodePng(png);
    const box = matrixBox(image);
    expect((box.y1 - box.y0 + 1) / image.height).toBeGreaterThanOrEqual(0.8);
    expect((box.x1 - box.x0 + 1) / image.width).toBeGreaterThanOrEqual(0.8);
    // The spike row's place: +1 px for the host's border.
    const lineY = 1 + (y as number) + (TALL_SPIKE_ROW + 0.5) * (sy as number);
    // Its pooled block (a few rows, under 2 px) lands within ±2 px of the row's own place.
    let red = 0;
    for (let x = box.x0 + 2; x < box.x1 - 1; x++)
      if ([-2, -1, 0, 1, 2].some((dy) => isReddish(pixel(image, x, lineY + dy)))) red++;
    expect(red / (box.x1 - box.x0 - 3)).toBeGreaterThan(0.95);
    // Away from it the tensor is unchanged: neutral, not red.
    expect(isReddish(pixel(image, (box.x0 + box.x1) / 2, lineY - 40))).toBe(false);
    expect(TALL_SHAPE).toEqual([1014, 64]);
    if (shots !== undefined) writeFileSync(join(shots, 'tall-heatmap-panel.png'), await heatmap.screenshot());
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
