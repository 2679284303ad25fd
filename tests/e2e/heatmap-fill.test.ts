import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { colorCoverage, decodePng, matrixBox, pixel, type RgbaImage } from './helpers/png';
import { useE2eSession } from './helpers/session';

/**
 * Tall tensors fill their panel. The previous version's demo-like database (tests/fixtures/
 * previous-version, copied first: opening migrates it) has a first layer `torso.dense1.kernel` of
 * 125 × 16 (5 observation channels × 5×5 cells, 16 units): drawn at its aspect ratio it was a strip
 * 7 % of the panel wide. It must fill the panel both ways, with rulers whose ticks follow the zoom
 * and rows named by their observation channel and cell, in the diff view and in the relevance view.
 */
const FIXTURE = join(__dirname, '../fixtures/previous-version/v1-tiny-5x5.deltascope');
const TENSOR = 'torso.dense1.kernel';
const ROWS = 125;
const CHANNELS = ['wall', 'agent', 'cheese', 'coin', 'red_gem'];
const shots = process.env.DELTASCOPE_E2E_SHOTS;

const e2e = useE2eSession('heatmap-fill', 'v1-tiny-5x5.deltascope', (db) => copyFileSync(FIXTURE, db), {
  width: 1440,
  height: 900,
});

async function dismissToasts(): Promise<void> {
  for (const dismiss of await e2e.page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).all())
    await dismiss.click().catch(() => undefined);
}

/** The drawn matrix's extent inside the heatmap canvas, as fractions of the canvas. */
async function fill(heatmap: Locator): Promise<{ width: number; height: number }> {
  const image = decodePng(await heatmap.getByTestId('diff-heatmap-canvas').screenshot());
  const box = matrixBox(image);
  return { width: (box.x1 - box.x0 + 1) / image.width, height: (box.y1 - box.y0 + 1) / image.height };
}

/** A ruler canvas' pixels as drawn (device pixels). */
async function rulerImage(heatmap: Locator, axis: 'rows' | 'columns'): Promise<RgbaImage> {
  const url = await heatmap
    .getByTestId(`heatmap-ruler-${axis}`)
    .evaluate((canvas) => (canvas as HTMLCanvasElement).toDataURL('image/png'));
  return decodePng(Buffer.from(url.split(',')[1]!, 'base64'));
}

/** Where `part` appears in `image` pixel for pixel (each channel within 2), or null. */
function findSubImage(image: RgbaImage, part: RgbaImage): { x: number; y: number } | null {
  const at = (img: RgbaImage, x: number, y: number, c: number): number =>
    img.data[(y * img.width + x) * 4 + c]!;
  for (let y = 0; y + part.height <= image.height; y++) {
    for (let x = 0; x + part.width <= image.width; x++) {
      let same = true;
      for (let py = 0; same && py < part.height; py += 1) {
        for (let px = 0; px < part.width; px++) {
          // A transparent ruler pixel lies on the export's white background.
          const alpha = at(part, px, py, 3) / 255;
          for (let c = 0; c < 3; c++) {
            const expected = at(part, px, py, c) * alpha + 255 * (1 - alpha);
            if (Math.abs(at(image, x + px, y + py, c) - expected) > 2) {
              same = false;
              break;
            }
          }
          if (!same) break;
        }
      }
      if (same) return { x, y };
    }
  }
  return null;
}

async function expectFillsAndRulers(heatmap: Locator, shot: string): Promise<void> {
  await heatmap.and(e2e.page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
  await heatmap.scrollIntoViewIfNeeded();
  await dismissToasts();
  const { width, height } = await fill(heatmap);
  // Old behaviour for the record: at its aspect ratio 125 × 16 was 7 % of the panel wide.
  expect(height).toBeGreaterThanOrEqual(0.8);
  expect(width).toBeGreaterThanOrEqual(0.8);
  // Rulers: rows every 10 or 20 at this zoom, starting at 0; columns by unit.
  const rows = heatmap.getByTestId('heatmap-ruler-rows');
  const cols = heatmap.getByTestId('heatmap-ruler-columns');
  const rowTicks = (await rows.getAttribute('data-ticks'))?.split(' ').map(Number) ?? [];
  const colTicks = (await cols.getAttribute('data-ticks'))?.split(' ').map(Number) ?? [];
  expect(rowTicks[0]).toBe(0);
  expect(rowTicks.length).toBeGreaterThanOrEqual(5);
  expect(Math.max(...rowTicks)).toBeGreaterThanOrEqual(100);
  expect(colTicks[0]).toBe(0);
  expect(Math.max(...colTicks)).toBeGreaterThanOrEqual(10);
  // The rulers are drawn (not blank): dark tick labels on the row ruler.
  const ruler = decodePng(await rows.screenshot());
  let dark = 0;
  for (let i = 0; i < ruler.data.length; i += 4)
    if ((ruler.data[i] as number) < 120 && (ruler.data[i + 3] as number) > 200) dark++;
  expect(dark).toBeGreaterThan(50);
  if (shots !== undefined) {
    writeFileSync(join(shots, `${shot}-heatmap.png`), await heatmap.screenshot());
    await e2e.page.screenshot({ path: join(shots, `${shot}-page.png`) });
  }
}

/** Hovers the centre of matrix cell (row, col), placed by the drawn view, and returns the tooltip's meaning line. */
async function hoverCell(heatmap: Locator, row: number, col: number): Promise<string> {
  const canvas = heatmap.getByTestId('diff-heatmap-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const [x, y, sx, sy] = ((await canvas.getAttribute('data-view')) ?? '').split(' ').map(Number);
  const box = await canvas.boundingBox();
  if (box === null || sy === undefined) throw new Error('the heatmap canvas has no view');
  // 1 px: the canvas sits inside the host's border.
  await e2e.page.mouse.move(
    box.x + 1 + (x as number) + (col + 0.5) * (sx as number),
    box.y + 1 + (y as number) + (row + 0.5) * sy,
  );
  const meaning = heatmap.getByTestId('heatmap-tooltip-meaning');
  await meaning.waitFor();
  return meaning.innerText();
}

describe('tall tensors fill the heatmap panel, with rulers (previous-version database)', () => {
  it('the diff view draws the 125 × 16 first layer over ≥ 80 % of the panel both ways, with rulers', async () => {
    await e2e.page.getByRole('tree').waitFor({ timeout: 30_000 });
    await e2e.page.getByTestId('compare-button').click();
    const filter = e2e.page.getByTestId('compare-filter');
    await filter.fill('s1/pretrain final');
    await filter.press('Enter');
    await filter.fill('s1/finetune/coin final');
    await filter.press('Enter');
    await filter.press('Enter');
    await e2e.page.locator(`[data-testid="diff-layer-table"] tbody tr[data-tensor="${TENSOR}"]`).click({
      timeout: 30_000,
    });
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TENSOR}"]`);
    await expectFillsAndRulers(heatmap, 'diff');
    await expect(heatmap.innerText()).resolves.toContain('rows: input (channel, cell) · columns: unit');
  });

  it('names a first-layer row by its observation channel and cell on hover', async () => {
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TENSOR}"]`);
    // Row 3·25 + 4·5 + 3 = 98 reads channel coin at cell (3, 4).
    await expect(hoverCell(heatmap, 98, 12)).resolves.toBe('input channel coin, cell (3, 4) → unit 12');
    await expect(hoverCell(heatmap, 2, 0)).resolves.toBe('input channel wall, cell (2, 0) → unit 0');
    if (shots !== undefined) writeFileSync(join(shots, 'diff-hover.png'), await heatmap.screenshot());
    await e2e.page.mouse.move(5, 5);
  });

  it('the rulers follow the zoom: finer row ticks after zooming in, channel bands named', async () => {
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TENSOR}"]`);
    const rows = heatmap.getByTestId('heatmap-ruler-rows');
    const before = (await rows.getAttribute('data-ticks'))?.split(' ').map(Number) ?? [];
    const canvas = heatmap.getByTestId('diff-heatmap-canvas');
    await canvas.focus();
    for (let i = 0; i < 6; i++) await e2e.page.keyboard.press('+');
    const step = (ticks: number[]): number => (ticks[1] as number) - (ticks[0] as number);
    const ticksNow = async (): Promise<number[]> =>
      (await rows.getAttribute('data-ticks'))?.split(' ').map(Number) ?? [];
    // The rulers redraw after the zoom's frame: await finer ticks (fails if they never come) rather
    // than reading them once right after the key presses.
    await expect.poll(async () => step(await ticksNow()), { timeout: 10_000 }).toBeLessThan(step(before));
    const after = await ticksNow();
    // Zoomed about the centre: the ticks are rows in the middle of the tensor, not from 0.
    expect(after[0]).toBeGreaterThan(0);
    expect(Math.max(...after)).toBeLessThan(ROWS);
    if (shots !== undefined) writeFileSync(join(shots, 'diff-zoomed.png'), await heatmap.screenshot());
    await e2e.page.keyboard.press('0');
    await expect.poll(async () => (await rows.getAttribute('data-ticks'))?.split(' ')[0]).toBe('0');
    expect(CHANNELS).toHaveLength(5);
  });

  it('exports the heatmap as a PNG with its row and column rulers, their titles and the colour bar', async () => {
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TENSOR}"]`);
    const [download] = await Promise.all([
      e2e.page.waitForEvent('download'),
      heatmap.getByRole('button', { name: `Export the ${TENSOR} heatmap as PNG` }).click(),
    ]);
    const file = readFileSync((await download.path())!);
    if (shots !== undefined) writeFileSync(join(shots, 'diff-export.png'), file);
    const exported = decodePng(file);
    // Each ruler, pixel for pixel as drawn beside the heatmap, is in the exported image.
    const rowsAt = findSubImage(exported, await rulerImage(heatmap, 'rows'));
    const columnsAt = findSubImage(exported, await rulerImage(heatmap, 'columns'));
    expect(rowsAt, 'the row ruler in the export').not.toBeNull();
    expect(columnsAt, 'the column ruler in the export').not.toBeNull();
    // The column ruler sits above the row ruler's end, right of it: the heatmap's corner.
    expect(columnsAt!.x).toBeGreaterThan(rowsAt!.x);
    expect(columnsAt!.y).toBeLessThan(rowsAt!.y);
    // The row title reads along the left edge and the column title above the column ruler: ink there.
    const ink = (x0: number, x1: number, y0: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (pixel(exported, x, y)[0] < 160) n++;
      return n;
    };
    expect(ink(0, rowsAt!.x, rowsAt!.y, rowsAt!.y + 300)).toBeGreaterThan(20);
    expect(ink(columnsAt!.x, exported.width - 100, columnsAt!.y - 16, columnsAt!.y)).toBeGreaterThan(20);
    // The colour bar's two ends (the darkest red and blue) sit right of the heatmap.
    expect(colorCoverage(exported, '#67001f', 12).maxX).toBeGreaterThan(exported.width - 100);
    expect(colorCoverage(exported, '#053061', 12).maxX).toBeGreaterThan(exported.width - 100);
  });

  it('the relevance view draws a map of the same tensor filling its panel; whole-model tiles fill their frame', async () => {
    await e2e.page.locator('nav [data-view="relevance"]').click();
    await e2e.page
      .locator('[data-testid="relevance-list"] [data-artifact]')
      .first()
      .click({ timeout: 30_000 });
    const overview = e2e.page.getByTestId('relevance-overview');
    const tile = overview.locator(`[data-tensor="${TENSOR}"]`);
    await tile.waitFor({ timeout: 30_000 });
    const thumb = await tile.locator('canvas').boundingBox();
    expect(thumb?.width).toBeGreaterThanOrEqual(90);
    expect(thumb?.height).toBeGreaterThanOrEqual(90);
    await tile.click();
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${TENSOR}"]`);
    await expectFillsAndRulers(heatmap, 'relevance');
    await expect(hoverCell(heatmap, 98, 3)).resolves.toBe('input channel coin, cell (3, 4) → unit 3');
    await e2e.page.mouse.move(5, 5);
  });

  it('the whole-model overview and "each Δ on one scale" draw the tall tensor filling its frame', async () => {
    await e2e.page.locator('nav [data-view="diff"]').click();
    await e2e.page.locator('[role="tab"][data-tab="overview"]').click();
    const tile = e2e.page.locator(`[data-testid="diff-overview"] [data-tensor="${TENSOR}"] canvas`);
    await tile.waitFor({ timeout: 30_000 });
    const box = await tile.boundingBox();
    const frame = await e2e.page
      .locator(`[data-testid="diff-overview"] [data-tensor="${TENSOR}"] .overview-tile__frame`)
      .boundingBox();
    // At its aspect ratio the 125 × 16 tile was 1/8 as wide as its frame; now it fills it.
    expect(box?.width).toBeGreaterThanOrEqual(0.9 * (frame?.height ?? Infinity));
    expect(box?.height).toBeGreaterThanOrEqual(0.9 * (frame?.height ?? Infinity));
    if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, 'diff-overview.png') });
    await e2e.page.locator('[role="tab"][data-tab="compare"]').click();
    await e2e.page.getByTestId('compare-run').click();
    await e2e.page.getByLabel('Tensor of the cosine matrix').selectOption(TENSOR, { timeout: 30_000 });
    const heatmaps = e2e.page.locator('[data-testid="compare-heatmaps"][data-state="ready"]');
    await heatmaps.waitFor({ timeout: 30_000 });
    const canvases = await heatmaps.locator('canvas').all();
    expect(canvases.length).toBeGreaterThanOrEqual(2);
    for (const canvas of canvases) {
      const size = await canvas.boundingBox();
      expect(size?.width).toBeGreaterThanOrEqual(190);
      expect(size?.height).toBeGreaterThanOrEqual(190);
    }
    if (shots !== undefined) {
      await heatmaps.scrollIntoViewIfNeeded();
      await e2e.page.screenshot({ path: join(shots, 'compare-heatmaps.png') });
    }
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
