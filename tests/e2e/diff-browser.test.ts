import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATTERN_TENSOR, writeDiffDatabase } from '../fixtures/diff-db';
import { expectPatternQuadrants, hoverMatrix } from './helpers/diff-session';
import { useE2eSession } from './helpers/session';

const e2e = useE2eSession('diff', 'diff.deltascope', (db) => {
  writeDiffDatabase(db);
});

/** The tree row of a run or checkpoint (rows are labelled "name, …"). */
function treeItem(name: string) {
  return e2e.page.getByRole('treeitem', { name: new RegExp(`^${name},`) });
}

describe('checkpoint diffs in Chromium against the headless server', () => {
  it('opens the diff of two checkpoints dragged together in the run tree', async () => {
    await e2e.page.getByRole('tree').waitFor({ timeout: 30_000 });
    for (const run of ['base', 'tuned']) {
      await treeItem(run).click();
      await e2e.page.keyboard.press('ArrowRight');
    }
    // Dragging B onto A opens Δ = B − A.
    await treeItem('tuned @ 2000').dragTo(treeItem('base @ 1000'));
    const table = e2e.page.getByTestId('diff-layer-table');
    await table.waitFor({ timeout: 30_000 });
    await expect(
      e2e.page.getByTestId('diff-view').getByRole('heading', { level: 2 }).innerText(),
    ).resolves.toMatch(/base @ 1000[\s\S]*tuned @ 2000/);
  });

  it('lists the changed tensor first by ‖Δ‖₂ and every unchanged one with ‖Δ‖₂ = 0', async () => {
    const rows = e2e.page.locator('[data-testid="diff-layer-table"] tbody tr');
    await expect(rows.count()).resolves.toBe(8);
    await expect(rows.first().getAttribute('data-tensor')).resolves.toBe(PATTERN_TENSOR);
    const l2Column = await e2e.page
      .locator('[data-testid="diff-layer-table"] thead th')
      .evaluateAll((cells) => cells.findIndex((cell) => cell.querySelector('[data-column="l2"]') !== null));
    const l2 = await rows.evaluateAll(
      (trs, column) => trs.map((tr) => (tr.children[column] as HTMLElement).innerText.trim()),
      l2Column,
    );
    // ‖Δ‖₂ of ±1 on two 48×32 quadrants: √3072 ≈ 55.43.
    expect(l2[0]).toBe('55.43');
    expect(l2.slice(1)).toEqual(Array(7).fill('0'));
  });

  it('draws the tensor’s heatmap: red where Δ = +1, blue where Δ = −1, neutral where unchanged', async () => {
    await e2e.page
      .locator(`[data-testid="diff-layer-table"] tbody tr[data-tensor="${PATTERN_TENSOR}"]`)
      .click();
    await e2e.page.locator('[data-testid="diff-heatmap"][data-state="ready"]').waitFor({ timeout: 30_000 });
    const canvas = e2e.page.getByTestId('diff-heatmap-canvas');
    const png = await canvas.screenshot();
    if (process.env.DELTASCOPE_E2E_SHOTS !== undefined)
      writeFileSync(join(process.env.DELTASCOPE_E2E_SHOTS, 'diff-heatmap.png'), png);
    expectPatternQuadrants(png);
  });

  it('shows the tensor name, index, A, B and Δ of the cell under the pointer', async () => {
    const canvas = e2e.page.getByTestId('diff-heatmap-canvas');
    // The centre of the bottom-right quadrant: row ≥ 48 and col ≥ 32, where Δ = −1.
    const box = await hoverMatrix(e2e.page, canvas, 0.75, 0.75);
    const tooltip = e2e.page.getByTestId('heatmap-tooltip');
    await tooltip.waitFor();
    await expect
      .poll(async () => tooltip.innerText(), { timeout: 10_000 })
      .toMatch(new RegExp(`${PATTERN_TENSOR.replaceAll('.', '\\.')}\\[(\\d+), (\\d+)\\][\\s\\S]*Δ\\s*-1\\b`));
    const [, row, col] = /\[(\d+), (\d+)\]/.exec(await tooltip.innerText()) ?? [];
    expect(Number(row)).toBeGreaterThanOrEqual(48);
    expect(Number(col)).toBeGreaterThanOrEqual(32);
    await e2e.page.mouse.move(box.x - 20, box.y - 20);
  });

  it('opens a diff from the keyboard: Compare…, pick A, pick B, Enter', async () => {
    await e2e.page.getByTestId('compare-button').click();
    const dialog = e2e.page.getByTestId('compare-dialog');
    await dialog.waitFor();
    const filter = e2e.page.getByTestId('compare-filter');
    await filter.fill('other');
    await filter.press('Enter');
    await filter.fill('tuned');
    await filter.press('Enter');
    await expect(e2e.page.getByTestId('compare-side-a').innerText()).resolves.toContain('other @ 2000');
    await expect(e2e.page.getByTestId('compare-side-b').innerText()).resolves.toContain('tuned @ 2000');
    await filter.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(() => e2e.page.getByTestId('diff-view').getByRole('heading', { level: 2 }).innerText(), {
        timeout: 30_000,
      })
      .toMatch(/other @ 2000[\s\S]*tuned @ 2000/);
    // Δ = tuned − other: the pattern tensor first, then the policy kernel the other run changed.
    const second = e2e.page.locator('[data-testid="diff-layer-table"] tbody tr').nth(1);
    await expect.poll(() => second.getAttribute('data-tensor'), { timeout: 30_000 }).toBe('policy.kernel');
  });

  it('opens a diff by dragging one checkpoint onto another in the lineage graph', async () => {
    await e2e.page.locator('nav [data-view="lineage"]').click();
    const graph = e2e.page.getByTestId('lineage-graph');
    await graph.waitFor();
    // base, then its two fine-tunes, each a node.
    await expect(graph.locator('[data-checkpoint]').count()).resolves.toBe(3);
    await graph
      .getByRole('button', { name: /^other, other @ 2000/ })
      .dragTo(graph.getByRole('button', { name: /^base, base @ 1000/ }));
    await expect
      .poll(() => e2e.page.getByTestId('diff-view').getByRole('heading', { level: 2 }).innerText(), {
        timeout: 30_000,
      })
      .toMatch(/base @ 1000[\s\S]*other @ 2000/);
    const first = e2e.page.locator('[data-testid="diff-layer-table"] tbody tr').first();
    await expect.poll(() => first.getAttribute('data-tensor'), { timeout: 30_000 }).toBe('policy.kernel');
  });

  it('explains that files dropped from the OS need the desktop app in a browser', async () => {
    await e2e.page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['not really weights'], 'a.safetensors'));
      data.items.add(new File(['not really weights'], 'b.safetensors'));
      document.body.dispatchEvent(
        new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }),
      );
      document.body.dispatchEvent(
        new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }),
      );
    });
    const toast = e2e.page.getByTestId('toast').filter({ hasText: 'desktop app' });
    await toast.waitFor({ timeout: 10_000 });
    await expect(toast.innerText()).resolves.toContain('Diff two models by path');
    expect(e2e.pageErrors).toEqual([]);
  });
});
