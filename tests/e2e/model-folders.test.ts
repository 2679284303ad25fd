import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../src-main/store';
import { PLANTED, SMALL_HF_LAYOUT, writeHfFolderPair } from '../fixtures/hf-folders';
import { decodePng, pixel, type RgbaImage } from './helpers/png';
import { useE2eSession } from './helpers/session';

/**
 * Two sharded BF16 Hugging Face-style folders (../fixtures/hf-folders.ts: 24 Llama-shaped layers,
 * 219 tensors) diffed from the browser by typing their paths; the change is planted in layer 5's
 * MLP up projection (strong) and layer 17's query projection (weak). The views must group the
 * tensors by block and point at block 5 × up.
 */
let folders: { a: string; b: string };
const shots = process.env.DELTASCOPE_E2E_SHOTS;

const e2e = useE2eSession(
  'model-folders',
  'empty.deltascope',
  (db, dir) => {
    createDatabase(db).close();
    folders = writeHfFolderPair(join(dir, 'models'));
    mkdirSync(join(dir, 'models', 'no-model'));
  },
  { width: 1440, height: 1000 },
);

async function shot(name: string, target: Page | Locator = e2e.page): Promise<void> {
  if (shots === undefined) return;
  writeFileSync(join(shots, `${name}.png`), await target.screenshot());
}

/** The point of the image's most saturated red (r − b largest) left of `right`, relative to the image. */
function reddest(image: RgbaImage, right: number): { x: number; y: number; score: number } {
  let best = { x: 0, y: 0, score: -Infinity };
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < right; x++) {
      const [r, g, b] = pixel(image, x, y);
      const score = r - b - Math.abs(g - b) / 4;
      if (score > best.score) best = { x, y, score };
    }
  }
  return best;
}

describe('diffing two model folders by path in the browser', () => {
  it('names the empty field, then a folder that holds no model, without opening a diff', async () => {
    await e2e.page.locator('nav [data-view="diff"]').click({ timeout: 30_000 });
    const form = e2e.page.getByTestId('diff-paths-form');
    await form.getByTestId('diff-path-a').fill(folders.a);
    await form.getByTestId('diff-paths-open').click();
    await expect(form.getByRole('alert').innerText()).resolves.toMatch(/path of B/);
    await shot('model-folders-paths-form', e2e.page.getByTestId('diff-view'));
    await expect(
      form.getByTestId('diff-path-b').evaluate((el) => el === document.activeElement),
    ).resolves.toBe(true);
    await form.getByTestId('diff-path-b').fill(join(folders.a, '..', 'no-model'));
    await form.getByTestId('diff-paths-open').click();
    const error = e2e.page.locator('.diff-view__error');
    await error.waitFor({ timeout: 30_000 });
    await expect(error.innerText()).resolves.toMatch(/no-model: the folder holds no model/);
  });

  it('opens the diff of the two folders typed as paths, with the tensors grouped by block', async () => {
    const form = e2e.page.getByTestId('diff-paths');
    await form.locator('summary').click();
    await form.getByTestId('diff-path-b').fill(folders.b);
    await form.getByTestId('diff-paths-open').click();
    const table = e2e.page.getByTestId('diff-layer-table');
    await e2e.page.getByTestId('diff-summary').waitFor({ timeout: 60_000 });
    await expect(e2e.page.getByTestId('diff-summary').innerText()).resolves.toMatch(/over 219 tensors/);
    await expect(
      e2e.page.getByTestId('diff-view').getByRole('heading', { level: 2 }).innerText(),
    ).resolves.toMatch(/base[\s\S]*rl-tuned/);
    // One header row per block plus the tensors outside blocks, all closed: no tensor row yet.
    const blocks = table.locator('tbody tr[data-block]');
    await expect(blocks.count()).resolves.toBe(SMALL_HF_LAYOUT.layers + 1);
    await expect(table.locator('tbody tr[data-tensor]').count()).resolves.toBe(0);
    // Opening block 5 lists its 9 tensors; the planted one has the largest ‖Δ‖ (sorted first).
    await table.locator('tr[data-block="model.layers.5"]').click();
    await expect(table.locator('tbody tr[data-tensor]').count()).resolves.toBe(9);
    await expect(table.locator('tbody tr[data-tensor]').first().getAttribute('data-tensor')).resolves.toBe(
      PLANTED.strong,
    );
    await shot('model-folders-layers', e2e.page.getByTestId('diff-view'));
  });

  it('draws the block × kind matrix strongest at block 5 × up; a click there opens that tensor', async () => {
    const matrix = e2e.page.getByTestId('diff-block-kind-matrix').locator('canvas').first();
    await matrix.scrollIntoViewIfNeeded();
    await e2e.page.waitForTimeout(300);
    const image = decodePng(await matrix.screenshot());
    // Left of the colour scale (whose top is the same red).
    const red = reddest(image, image.width - 100);
    expect(red.score).toBeGreaterThan(50);
    // ECharts stacks a hover layer over its canvas: click the page at that point.
    const box = (await matrix.boundingBox())!;
    await e2e.page.mouse.click(box.x + red.x, box.y + red.y);
    await expect
      .poll(
        () => e2e.page.locator('[data-testid="diff-layer-table"] tr.is-selected').getAttribute('data-tensor'),
        {
          timeout: 10_000,
        },
      )
      .toBe(PLANTED.strong);
    await shot('model-folders-block-kind-matrix', e2e.page.getByTestId('diff-block-charts'));
  });

  it('draws per-block bars whose longest is block 5; relative change points there too', async () => {
    const bars = e2e.page.getByTestId('diff-block-bars').locator('canvas').first();
    for (const stat of ['‖Δ‖₂', '‖Δ‖/‖A‖']) {
      await e2e.page.getByTestId('diff-block-charts').getByLabel(stat, { exact: true }).check();
      await e2e.page.waitForTimeout(300);
      const image = decodePng(await bars.screenshot());
      // Each bar's right end: the rightmost non-white, non-grey pixel of its row.
      let longest = { y: -1, x: -1 };
      for (let y = 0; y < image.height; y++) {
        for (let x = image.width - 1; x > longest.x; x--) {
          const [r, g, b] = pixel(image, x, y);
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) {
            longest = { y, x };
            break;
          }
        }
      }
      // Rows are blocks 0..23 and the outside group, evenly from the top of the plot: block 5 is
      // the sixth of 25 (the plot starts a few pixels down, so allow half a row either way).
      const row = ((longest.y - 8) / (image.height - 16)) * (SMALL_HF_LAYOUT.layers + 1);
      expect(row).toBeGreaterThan(4.5);
      expect(row).toBeLessThan(6.5);
    }
    await shot('model-folders-block-bars', e2e.page.getByTestId('diff-block-charts'));
  });

  it('pages the whole-model overview 48 tensors at a time, opening on the selected tensor’s page', async () => {
    // The planted tensor (selected above) is tensor 52 of 219 in checkpoint order: page 2.
    await e2e.page.locator('[data-tab="overview"]').click();
    const overview = e2e.page.getByTestId('diff-overview');
    const range = overview.getByTestId('overview-range');
    const tiles = overview.locator('[data-tensor]');
    await expect.poll(() => range.innerText(), { timeout: 30_000 }).toBe('tensors 49–96 of 219');
    await expect(tiles.count()).resolves.toBe(48);
    await expect(overview.locator(`[data-tensor="${PLANTED.strong}"]`).count()).resolves.toBe(1);
    await shot('model-folders-overview-page-2', overview);
    await overview.getByTestId('overview-page').selectOption({ label: '1 of 5' });
    await expect.poll(() => range.innerText(), { timeout: 30_000 }).toBe('tensors 1–48 of 219');
    await expect(tiles.first().getAttribute('data-tensor')).resolves.toBe('model.embed_tokens.weight');
    await overview.getByTestId('overview-next').click();
    await expect.poll(() => range.innerText(), { timeout: 30_000 }).toBe('tensors 49–96 of 219');
    await overview.getByTestId('overview-page').selectOption({ label: '5 of 5' });
    await expect.poll(() => range.innerText(), { timeout: 30_000 }).toBe('tensors 193–219 of 219');
    await expect(tiles.count()).resolves.toBe(27);
    await expect(tiles.last().getAttribute('data-tensor')).resolves.toBe('lm_head.weight');
    await shot('model-folders-overview-page-5', overview);
  });

  it('reports no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
