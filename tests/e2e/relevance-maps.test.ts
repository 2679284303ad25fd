import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATTERN_TENSOR } from '../fixtures/diff-db';
import { expectPatternQuadrants, hoverMatrix, useDiffSession } from './helpers/diff-session';

/**
 * Relevance maps from the UI: "Aggregate deltas…" over the diff-db fixture's base with its two
 * fine-tunes pre-checked, aggregator mean. The tuned run's Δ is +1 / −1 on two quadrants of the
 * pattern tensor and the other run leaves that tensor alone, so the map there is +½ / −½ / 0: the
 * same picture as the diff, which the heatmap must draw.
 */
const e2e = useDiffSession('relevance');
const shots = process.env.DELTASCOPE_E2E_SHOTS;

async function shot(name: string): Promise<void> {
  if (shots !== undefined) await e2e.page.screenshot({ path: join(shots, name), fullPage: true });
}

describe('relevance maps in Chromium against the headless server', () => {
  it('aggregates the two fine-tunes of the base from the keyboard-accessible dialog', async () => {
    const { page, fixture } = e2e;
    await page.locator('nav [data-view="relevance"]').click({ timeout: 30_000 });
    await page.getByTestId('relevance-view').waitFor();
    await page.getByTestId('aggregate-open').click();
    const dialog = page.getByTestId('aggregate-dialog');
    await dialog.waitFor();
    // The base select has the focus; pick the base by keyboard-equivalent selectOption.
    await expect(page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe(
      'aggregate-base',
    );
    await page.getByTestId('aggregate-base').selectOption(String(fixture.baseCheckpointId));
    const checked = page.locator('[data-testid="aggregate-deltas"] input:checked');
    await expect
      .poll(() =>
        checked.evaluateAll((inputs) => inputs.map((i) => Number(i.getAttribute('data-checkpoint')))),
      )
      .toEqual([fixture.tunedCheckpointId, fixture.otherCheckpointId]);
    await expect(page.getByTestId('aggregate-kind').inputValue()).resolves.toBe('mean');
    await shot('aggregate-dialog.png');
    await page.getByTestId('aggregate-run').focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const listed = page.locator('[data-testid="relevance-list"] [data-artifact]');
    await expect(listed.count()).resolves.toBe(1);
    await expect(listed.first().getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(listed.first().innerText()).resolves.toContain(
      `mean over base #${fixture.baseCheckpointId} of #${fixture.tunedCheckpointId}, #${fixture.otherCheckpointId}`,
    );
  });

  it('shows where the mass sits and every tensor of the map', async () => {
    const { page } = e2e;
    const overview = page.getByTestId('relevance-overview');
    await overview.locator(`[data-tensor="${PATTERN_TENSOR}"]`).waitFor({ timeout: 30_000 });
    await expect(overview.locator('[data-tensor]').count()).resolves.toBe(8);
    // The pattern tensor holds nearly all of Σ|m| (the other run's small noise is the rest).
    await expect(
      page.locator('[data-testid="relevance-list"] [data-artifact]').first().innerText(),
    ).resolves.toMatch(new RegExp(`${PATTERN_TENSOR.replaceAll('.', '\\.')} 99\\.\\d%`));
    await page.getByTestId('relevance-mass-chart').locator('canvas').first().waitFor();
  });

  it('draws the map’s heatmap: red where the mean is +½, blue where −½, neutral where 0', async () => {
    const { page } = e2e;
    const heatmap = page.locator(`[data-testid="diff-heatmap"][data-tensor="${PATTERN_TENSOR}"]`);
    await heatmap.and(page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    // The map is drawn as itself: no Δ/A/B switch.
    await expect(heatmap.getByRole('radiogroup').count()).resolves.toBe(0);
    await shot('relevance-view.png');
    // The "Saved relevance map" toast would cover part of the canvas.
    for (const dismiss of await page.getByTestId('toast').getByRole('button', { name: 'Dismiss' }).all())
      await dismiss.click();
    await heatmap.scrollIntoViewIfNeeded();
    const canvas = heatmap.getByTestId('diff-heatmap-canvas');
    const png = await canvas.screenshot();
    if (shots !== undefined) writeFileSync(join(shots, 'relevance-heatmap.png'), png);
    expectPatternQuadrants(png);
  });

  it('reads the mean (½ of the tuned run’s +1) under the pointer', async () => {
    const { page } = e2e;
    const canvas = page.getByTestId('diff-heatmap-canvas');
    const box = await hoverMatrix(page, canvas, 0.25, 0.25);
    const tooltip = page.getByTestId('heatmap-tooltip');
    await tooltip.waitFor();
    await expect.poll(async () => tooltip.innerText(), { timeout: 10_000 }).toMatch(/relevance\s*0\.5\b/);
    await page.mouse.move(box.x - 20, box.y - 20);
    if (shots !== undefined)
      writeFileSync(
        join(shots, 'relevance-panel.png'),
        await page.getByTestId('relevance-panel').screenshot(),
      );
  });

  it('says what is missing, then stores a TIES map with its density as a second map', async () => {
    const { page, fixture } = e2e;
    await page.getByTestId('aggregate-open').click();
    const dialog = page.getByTestId('aggregate-dialog');
    await dialog.waitFor();
    await page.getByTestId('aggregate-base').selectOption(String(fixture.baseCheckpointId));
    await page.getByTestId('aggregate-kind').selectOption('null-normalized');
    await page.getByTestId('aggregate-run').click();
    await expect(dialog.getByRole('alert').innerText()).resolves.toBe('Pick the null-control checkpoint.');
    await page.getByTestId('aggregate-kind').selectOption('dare');
    await expect(dialog.getByRole('alert').count()).resolves.toBe(0);
    const params = page.getByTestId('aggregate-params');
    await expect(params.getByLabel('drop probability').inputValue()).resolves.toBe('0.9');
    await expect(params.getByLabel('seed').inputValue()).resolves.toBe('0');
    await expect(params.getByLabel('combine').inputValue()).resolves.toBe('mean');
    await shot('aggregate-dialog-dare.png');
    await page.getByTestId('aggregate-kind').selectOption('ties');
    const density = params.getByLabel('density');
    await density.fill('0.5');
    await shot('aggregate-dialog-ties.png');
    await density.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const listed = page.locator('[data-testid="relevance-list"] [data-artifact]');
    await expect(listed.count()).resolves.toBe(2);
    await expect(listed.nth(1).getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(listed.nth(1).innerText()).resolves.toContain('density 0.5');
    await page
      .locator(`[data-testid="diff-heatmap"][data-tensor="${PATTERN_TENSOR}"][data-state="ready"]`)
      .waitFor({ timeout: 30_000 });
  });

  it('opens the dialog on the deltas of a diff’s "Compare deltas" tab', async () => {
    const { page, pageErrors, fixture } = e2e;
    await page.getByTestId('compare-button').click();
    const filter = page.getByTestId('compare-filter');
    await filter.fill('base @');
    await filter.press('Enter');
    await filter.fill('tuned @');
    await filter.press('Enter');
    await filter.press('Enter');
    await page.getByTestId('diff-layer-table').waitFor({ timeout: 30_000 });
    await page.locator('[role="tab"][data-tab="compare"]').click();
    await page.getByTestId('compare-aggregate').click();
    const dialog = page.getByTestId('aggregate-dialog');
    await dialog.waitFor();
    await expect(page.getByTestId('aggregate-base').inputValue()).resolves.toBe(
      String(fixture.baseCheckpointId),
    );
    const checked = page.locator('[data-testid="aggregate-deltas"] input:checked');
    await expect(
      checked.evaluateAll((inputs) => inputs.map((i) => Number(i.getAttribute('data-checkpoint')))),
    ).resolves.toEqual([fixture.tunedCheckpointId, fixture.otherCheckpointId]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(page.getByTestId('relevance-view').isVisible()).resolves.toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
