import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { divergingColor } from '../../src-main/shared/charts/color-map';
import {
  baseWeights,
  CONV_SHAPE,
  CONV_TENSOR,
  convPlantedDelta,
  HIDDEN,
  OBS_CHANNELS,
  OBS_SIDE,
  OBS_TENSOR,
  plantedDelta,
  writeObservationDatabase,
} from '../fixtures/observation-db';
import { decodePng, pixel, type Rgb } from './helpers/png';
import { useE2eSession } from './helpers/session';

/**
 * The observation-space view of a first-layer kernel: the observation-db fixture plants Δ on three
 * rows of `torso.dense1.kernel` [100, 8] (coin at (3, 1) on every unit, cheese at (1, 3) on every
 * unit, wall at (0, 0) on unit 5 only). Each channel's grid must colour exactly those cells, with
 * the colour of their relevance on the shared scale.
 */
const e2e = useE2eSession(
  'observation',
  'observation.deltascope',
  (db) => {
    writeObservationDatabase(db);
  },
  { width: 1440, height: 900 },
);
const shots = process.env.DELTASCOPE_E2E_SHOTS;

function treeItem(name: string) {
  return e2e.page.getByRole('treeitem', { name: new RegExp(`^${name},`) });
}

/** Value of each channel's cells for a reduction over the units, or one unit's column. */
function expectedPlanes(show: 'sum' | 'max' | number): number[][] {
  const cells = OBS_SIDE * OBS_SIDE;
  return OBS_CHANNELS.map((_, c) =>
    Array.from({ length: cells }, (_, cell) => {
      const row = c * cells + cell;
      if (typeof show === 'number') return plantedDelta(row, show);
      let acc = 0;
      for (let j = 0; j < HIDDEN; j++) {
        const v = Math.abs(plantedDelta(row, j));
        acc = show === 'sum' ? acc + v : Math.max(acc, v);
      }
      return acc;
    }),
  );
}

const close = (a: Rgb, b: readonly number[]): boolean =>
  a.every((v, i) => Math.abs(v - (b[i] as number)) <= 8);

/** Conv filters per input channel: each 3×3 cell's Σ or max |Δ| over the output channels, or one's Δ. */
function expectedConvPlanes(show: 'sum' | 'max' | number): number[][] {
  const [kh, kw, , out] = CONV_SHAPE;
  return OBS_CHANNELS.map((_, i) =>
    Array.from({ length: kh * kw }, (_, cell) => {
      const y = Math.floor(cell / kw);
      const x = cell % kw;
      if (typeof show === 'number') return convPlantedDelta(y, x, i, show);
      let acc = 0;
      for (let o = 0; o < out; o++) {
        const v = Math.abs(convPlantedDelta(y, x, i, o));
        acc = show === 'sum' ? acc + v : Math.max(acc, v);
      }
      return acc;
    }),
  );
}

/** Checks every cell centre of every channel's grid against the colour of its expected value. */
async function expectGrids(show: 'sum' | 'max' | number): Promise<void> {
  await expectPlanes(expectedPlanes(show), OBS_SIDE, OBS_SIDE);
}

async function expectPlanes(
  planes: number[][],
  width: number,
  height: number,
  scope = 'body',
): Promise<void> {
  const limit = Math.max(...planes.flat().map(Math.abs));
  const grids = e2e.page.locator(`${scope} [data-testid="observation-grid"]`);
  await expect(grids.evaluateAll((all) => all.map((g) => g.getAttribute('data-channel')))).resolves.toEqual([
    ...OBS_CHANNELS,
  ]);
  for (const [c, channel] of OBS_CHANNELS.entries()) {
    const canvas = e2e.page.locator(
      `${scope} [data-testid="observation-grid"][data-channel="${channel}"] canvas`,
    );
    const box = await canvas.boundingBox();
    const image = decodePng(await canvas.screenshot());
    const cellPx = (image.width - 2) / width;
    expect(box?.width).toBeCloseTo(image.width, 0);
    const wrong: string[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const value = planes[c]![y * width + x]!;
        const want = divergingColor(value / limit);
        const got = pixel(image, 1 + (x + 0.5) * cellPx, 1 + (y + 0.5) * cellPx);
        if (!close(got, want))
          wrong.push(`${channel} (${x}, ${y}): got ${got.join(',')}, want ${want.join(',')}`);
      }
    }
    expect(wrong).toEqual([]);
  }
}

describe('the observation-space view of a first-layer kernel', () => {
  it('opens under the tensor of a diff whose run declares its observation', async () => {
    await e2e.page.getByRole('tree').waitFor({ timeout: 30_000 });
    for (const run of ['base', 'tuned']) {
      await treeItem(run).click();
      await e2e.page.keyboard.press('ArrowRight');
    }
    await treeItem('tuned @ 2000').dragTo(treeItem('base @ 1000'));
    await e2e.page.locator(`[data-testid="diff-layer-table"] tbody tr[data-tensor="${OBS_TENSOR}"]`).click({
      timeout: 30_000,
    });
    await e2e.page
      .locator('[data-testid="observation-view"][data-state="ready"]')
      .waitFor({ timeout: 30_000 });
    await expect(e2e.page.getByTestId('observation-view').innerText()).resolves.toContain(
      'global view, 4 channels × 5×5 cells',
    );
  });

  it('draws one grid per channel, each cell coloured by Σ|Δ| of its row', async () => {
    await expectGrids('sum');
    if (shots !== undefined)
      await e2e.page.screenshot({ path: join(shots, 'observation-sum.png'), fullPage: true });
  });

  it('switches to max|Δ| over the units', async () => {
    await e2e.page.getByTestId('observation-max').check();
    await expect(e2e.page.getByTestId('observation-showing').innerText()).resolves.toContain(
      'max |Δ| over 8 units',
    );
    await expectGrids('max');
  });

  it('names the channel and cell under the pointer', async () => {
    const canvas = e2e.page.locator('[data-testid="observation-grid"][data-channel="coin"] canvas');
    const box = await canvas.boundingBox();
    if (box === null) throw new Error('no coin grid');
    await e2e.page.mouse.move(box.x + (3.5 * box.width) / OBS_SIDE, box.y + (1.5 * box.height) / OBS_SIDE);
    const tooltip = e2e.page.getByTestId('observation-tooltip');
    await expect(tooltip.innerText()).resolves.toMatch(
      /input channel coin, cell \(3, 1\)[\s\S]*= 1(\.0+)?\b/,
    );
  });

  it("shows one unit's incoming weights, signed, when its bar is clicked; the bars sort by relevance", async () => {
    await e2e.page.getByTestId('observation-sum').check();
    await e2e.page.locator('[data-testid="unit-bars"] [data-unit="5"]').click();
    await expect(e2e.page.getByTestId('observation-showing').innerText()).resolves.toContain('Δ of unit 5');
    await expectGrids(5);
    if (shots !== undefined)
      await e2e.page.screenshot({ path: join(shots, 'observation-unit.png'), fullPage: true });
    await e2e.page.getByTestId('unit-order').selectOption('relevance');
    await expect(
      e2e.page.locator('[data-testid="unit-bars"] [data-unit]').first().getAttribute('data-unit'),
    ).resolves.toBe('5');
  });

  it("shows a hidden layer's units, and carries one back to the observation through the first layer", async () => {
    await e2e.page.locator('[data-testid="diff-layer-table"] tbody tr[data-tensor="policy.kernel"]').click();
    await e2e.page.getByRole('radio', { name: 'A', exact: true }).click();
    const view = e2e.page.locator('[data-testid="hidden-units-view"][data-state="ready"]');
    await view.waitFor({ timeout: 30_000 });
    await expect(view.locator('[data-testid="unit-bars"] [data-unit]').count()).resolves.toBe(4);
    await view.locator('[data-testid="unit-bars"] [data-unit="2"]').click();
    await expect(e2e.page.getByTestId('hidden-units-composed').innerText()).resolves.toContain(
      'Σ_k A₁[r, k]·A[k, 2]',
    );
    await e2e.page.getByTestId('hidden-units-grids').waitFor({ timeout: 30_000 });
    // A's first layer W1 [100, 8] times A's policy column P[:, 2], folded into the 4 channels.
    const weights = baseWeights();
    const w1 = weights.get(OBS_TENSOR) as Float32Array;
    const policy = weights.get('policy.kernel') as Float32Array;
    const cells = OBS_SIDE * OBS_SIDE;
    const planes = OBS_CHANNELS.map((_, c) =>
      Array.from({ length: cells }, (_, cell) => {
        let acc = 0;
        for (let k = 0; k < HIDDEN; k++)
          acc += (w1[(c * cells + cell) * HIDDEN + k] as number) * (policy[k * 4 + 2] as number);
        return acc;
      }),
    );
    await expectPlanes(planes, OBS_SIDE, OBS_SIDE, '[data-testid="hidden-units-grids"]');
    if (shots !== undefined) {
      await view.scrollIntoViewIfNeeded();
      await e2e.page.screenshot({ path: join(shots, 'hidden-unit.png') });
    }
    await e2e.page.getByRole('radio', { name: 'Δ = B − A' }).click();
  });

  it('shows a first-layer conv kernel as its filters per input channel, coloured by the planted Δ', async () => {
    await e2e.page.getByTestId('compare-button').click();
    const filter = e2e.page.getByTestId('compare-filter');
    await filter.fill('cnn-base');
    await filter.press('Enter');
    await filter.fill('cnn-tuned');
    await filter.press('Enter');
    await filter.press('Enter');
    await e2e.page.locator(`[data-testid="diff-layer-table"] tbody tr[data-tensor="${CONV_TENSOR}"]`).click({
      timeout: 30_000,
    });
    const view = e2e.page.locator('[data-testid="observation-view"][data-state="ready"]');
    await view.waitFor({ timeout: 30_000 });
    await expect(view.innerText()).resolves.toContain('Filters per input channel');
    await expect(view.innerText()).resolves.toContain(
      '4 input channels × 3×3 filter cells, 6 output channels',
    );
    await e2e.page.getByTestId('observation-sum').check();
    const [kh, kw] = CONV_SHAPE;
    await expectPlanes(expectedConvPlanes('sum'), kw, kh);
    if (shots !== undefined) {
      await view.scrollIntoViewIfNeeded();
      await e2e.page.screenshot({ path: join(shots, 'observation-conv-sum.png') });
    }
    await e2e.page.getByTestId('observation-max').check();
    await expectPlanes(expectedConvPlanes('max'), kw, kh);
    // Output channel 4 alone: coin (2, 0) = +1 and cheese (1, 1) = −2, signed.
    await e2e.page.locator('[data-testid="unit-bars"] [data-unit="4"]').click();
    await expect(e2e.page.getByTestId('observation-showing').innerText()).resolves.toContain(
      'Δ of output channel 4',
    );
    await expectPlanes(expectedConvPlanes(4), kw, kh);
    const coin = e2e.page.locator('[data-testid="observation-grid"][data-channel="coin"] canvas');
    const box = await coin.boundingBox();
    if (box === null) throw new Error('no coin grid');
    await e2e.page.mouse.move(box.x + (2.5 * box.width) / kw, box.y + (0.5 * box.height) / kh);
    await expect(e2e.page.getByTestId('observation-tooltip').innerText()).resolves.toMatch(
      /input channel coin, filter cell \(2, 0\)[\s\S]*= 1(\.0+)?\b/,
    );
    if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, 'observation-conv-unit.png') });
    // The mosaic's rulers count input channels (named bands) and output channels.
    const heatmap = e2e.page.locator(`[data-testid="diff-heatmap"][data-tensor="${CONV_TENSOR}"]`);
    await expect(heatmap.getByTestId('heatmap-ruler-rows').getAttribute('data-ticks')).resolves.toBe(
      '0 1 2 3',
    );
    await expect(heatmap.getByTestId('heatmap-ruler-columns').getAttribute('data-ticks')).resolves.toBe(
      '0 1 2 3 4 5',
    );
    if (shots !== undefined) {
      await heatmap.scrollIntoViewIfNeeded();
      await e2e.page.screenshot({ path: join(shots, 'conv-mosaic.png') });
    }
  });

  it('raised no page errors', () => {
    expect(e2e.pageErrors).toEqual([]);
  });
});
