import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSafetensorsSource, sourceToMap } from '../../src-main/weights';
import { PATTERN_SHAPE, PATTERN_TENSOR } from '../fixtures/diff-db';
import { decodePng, pixel } from './helpers/png';
import { useDiffSession } from './helpers/diff-session';

/**
 * "Save as a safetensors folder" from the "Aggregate deltas…" dialog, in Chromium against the
 * headless server: the diff-db fixture's two fine-tunes folded with mean into a folder typed as a
 * path on the server's machine. The folder on disk holds the map (+½ / −½ / 0 quadrants of the
 * pattern tensor), the dialog says where it wrote it, and writing again into the now non-empty
 * folder is refused by name.
 */
const e2e = useDiffSession('aggregate-folder');
const shots = process.env.DELTASCOPE_E2E_SHOTS;

describe('the Aggregate dialog writes a safetensors folder', () => {
  it('suggests a folder beside the database, writes it, and says where', async () => {
    const { page, fixture, dir } = e2e;
    await page.locator('nav [data-view="relevance"]').click({ timeout: 30_000 });
    await page.getByTestId('relevance-view').waitFor();
    await page.getByTestId('aggregate-open').click();
    const dialog = page.getByTestId('aggregate-dialog');
    await dialog.waitFor();
    await page.getByTestId('aggregate-base').selectOption(String(fixture.baseCheckpointId));
    await page.getByTestId('aggregate-target-folder').check();
    const folderField = page.getByTestId('aggregate-folder');
    await expect(folderField.inputValue()).resolves.toBe(
      join(dir, `mean-of-2-over-${fixture.baseCheckpointId}`),
    );
    const folder = join(dir, 'mean-map');
    await folderField.fill(folder);
    await expect(page.getByTestId('aggregate-run').innerText()).resolves.toBe('Write folder');
    if (shots !== undefined) await dialog.screenshot({ path: join(shots, 'aggregate-folder-dialog.png') });

    await page.getByTestId('aggregate-run').click();
    const written = page.getByTestId('aggregate-written');
    await written.waitFor({ timeout: 30_000 });
    const text = await written.innerText();
    expect(text).toContain(`Wrote the map to ${folder}`);
    expect(text).toContain('2 files');
    expect(text).toContain('8 tensors');
    // The dialog stays open on the message (the folder is not something the app can show).
    await expect(dialog.isVisible()).resolves.toBe(true);
    const png = await dialog.screenshot();
    if (shots !== undefined) await dialog.screenshot({ path: join(shots, 'aggregate-folder-written.png') });
    // The message is drawn: its accent bar (#2f6db0) at its left edge.
    const image = decodePng(png);
    const box = (await written.boundingBox())!;
    const frame = (await dialog.boundingBox())!;
    const [r, g, b] = pixel(image, box.x - frame.x + 1, box.y - frame.y + box.height / 2);
    expect(b).toBeGreaterThan(r + 80);
    expect(b).toBeGreaterThan(g + 40);

    expect(readdirSync(folder).sort()).toEqual([
      'model-00001-of-00001.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(folder, 'model.safetensors.index.json'), 'utf8')) as {
      metadata: Record<string, unknown>;
    };
    expect(index.metadata).toMatchObject({ generatedBy: 'Deltascope', merged: 'false' });
    const source = openSafetensorsSource(folder);
    const map = sourceToMap(source);
    source.close();
    const pattern = map.get(PATTERN_TENSOR)!;
    const cols = PATTERN_SHAPE[1];
    const at = (row: number, col: number) => pattern.data[row * cols + col]!;
    expect(at(0, 0)).toBeCloseTo(0.5, 5);
    expect(at(95, 63)).toBeCloseTo(-0.5, 5);
    expect(at(0, 63)).toBe(0);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('refuses to write into the folder again, now that it is not empty, naming it', async () => {
    const { page, pageErrors, dir } = e2e;
    const folder = join(dir, 'mean-map');
    await page.getByTestId('aggregate-run').click();
    const alert = page.getByTestId('aggregate-dialog').getByRole('alert');
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.innerText()).resolves.toContain(`${folder} already exists and is not empty`);
    await expect(page.getByTestId('aggregate-written').count()).resolves.toBe(0);
    expect(existsSync(join(folder, 'model.safetensors.index.json'))).toBe(true);
    if (shots !== undefined)
      await page
        .getByTestId('aggregate-dialog')
        .screenshot({ path: join(shots, 'aggregate-folder-refused.png') });
    expect(pageErrors).toEqual([]);
  });
});
