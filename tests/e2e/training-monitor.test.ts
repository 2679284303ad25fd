import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { namedSeriesColors } from '../../src-main/shared/charts/palette';
import { MAZE_COLORS } from '../../src-renderer/maze/maze-colors';
import { createDatabase } from '../../src-main/store';
import { colorCoverage, cropRows, decodePng } from './helpers/png';
import { useE2eSession } from './helpers/session';

/** The chart's legend row; the plot grid starts below it (see charts/line-chart-options.ts). */
const LEGEND_HEIGHT_PX = 30;
/** Env steps of the tiny spec: 8 envs × 32 steps per iteration, 320 iterations (a few seconds on wasm). */
const TOTAL_STEPS = 81_920;
/** A 5×5 maze, a 32-32 MLP, a checkpoint every 20 iterations: a run that finishes in seconds. */
const TINY_SPEC = {
  experiment: 'e2e-monitor',
  run: 'tiny-from-ui',
  env: { size: 5, kinds: ['cheese', 'coin'], horizon: 32 },
  rewards: [
    { name: 'RA', collect: { cheese: 1 } },
    { name: 'RB', collect: { coin: 1 } },
  ],
  trainReward: 'RA',
  net: { kind: 'mlp', hidden: [32, 32] },
  ppo: { numEnvs: 8, numSteps: 32, numMinibatches: 4, updateEpochs: 2, learningRate: 0.001 },
  totalSteps: TOTAL_STEPS,
  seed: 3,
  checkpointEvery: 5120,
};
/** Set to a folder to keep screenshots of each screen for a human to look at. */
const SHOTS_DIR = process.env.DELTASCOPE_E2E_SHOTS;

async function shot(name: string, target: Page | Locator = e2e.page): Promise<Buffer> {
  const png = await target.screenshot();
  if (SHOTS_DIR !== undefined) {
    mkdirSync(SHOTS_DIR, { recursive: true });
    writeFileSync(join(SHOTS_DIR, `${name}.png`), png);
  }
  return png;
}

async function progressDone(): Promise<number> {
  return Number(
    await e2e.page.getByTestId('training-monitor').getByTestId('training-progress').getAttribute('data-done'),
  );
}

const e2e = useE2eSession('train', 'fresh.deltascope', (db) => {
  createDatabase(db).close();
});

describe('training monitor and agent viewer in Chromium against the headless server', () => {
  it('starts a tiny training from the dialog, shows its progress moving and its curves, and ends done', async () => {
    await e2e.page.getByTestId('empty-database').waitFor({ timeout: 30_000 });
    await e2e.page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('button', { name: /^Train/ })
      .click();
    await e2e.page.getByTestId('new-training').click();
    const dialog = e2e.page.getByTestId('training-dialog');
    await dialog.waitFor();
    await e2e.page.getByTestId('training-preset').selectOption('tiny-5x5');
    // Gradient threads default to 1; choosing 2 lands in the spec's ppo block (the JSON editor shows it).
    const workers = e2e.page.getByTestId('training-update-workers');
    await expect(workers.inputValue()).resolves.toBe('1');
    await workers.selectOption('2');
    await expect(e2e.page.getByTestId('training-json').inputValue()).resolves.toMatch(/"updateWorkers": 2/);
    await workers.selectOption('1');
    await shot('train-dialog');

    // The advanced editor holds the whole spec; the form follows it.
    const json = e2e.page.getByTestId('training-json');
    await dialog.locator('summary').click();
    await json.fill(JSON.stringify({ ...TINY_SPEC, totalSteps: 100 }, null, 2));
    const totalField = e2e.page.getByTestId('training-total-steps');
    await expect(totalField.inputValue()).resolves.toBe('100');
    // A budget below one iteration is refused next to its field, and nothing can be started.
    await expect(dialog.getByTestId('field-error').innerText()).resolves.toContain('less than one iteration');
    await expect(e2e.page.getByTestId('training-start').isDisabled()).resolves.toBe(true);
    await totalField.fill(String(TOTAL_STEPS));
    await expect(dialog.getByTestId('field-error').count()).resolves.toBe(0);
    await expect(e2e.page.getByTestId('training-run').inputValue()).resolves.toBe('tiny-from-ui');
    await e2e.page.getByTestId('training-start').click();
    await dialog.waitFor({ state: 'detached' });

    const monitor = e2e.page.getByTestId('training-monitor');
    await monitor.waitFor();
    // The run's name comes with the experiment tree, re-read once the job has created the run.
    await monitor.getByRole('heading', { name: /tiny-from-ui/ }).waitFor({ timeout: 15_000 });

    // The bar moves: a first reading inside the run, then a larger one.
    await e2e.page.waitForFunction(
      (total) => {
        const bar = document.querySelector(
          '[data-testid="training-monitor"] [data-testid="training-progress"]',
        );
        const done = Number(bar?.getAttribute('data-done') ?? 0);
        return done > 0 && done < total;
      },
      TOTAL_STEPS,
      { timeout: 45_000, polling: 50 },
    );
    const first = await progressDone();
    await e2e.page.waitForFunction(
      (before) => {
        const bar = document.querySelector(
          '[data-testid="training-monitor"] [data-testid="training-progress"]',
        );
        return Number(bar?.getAttribute('data-done') ?? 0) > before;
      },
      first,
      { timeout: 30_000, polling: 50 },
    );
    expect(await progressDone()).toBeGreaterThan(first);
    const chart = monitor.locator('[data-testid="metrics-chart"][data-family="charts/episodic_return"]');
    await chart.waitFor({ timeout: 30_000 });
    await shot('train-monitor-running');

    await monitor
      .locator('[data-testid="monitor-run-status"][data-status="done"]')
      .waitFor({ timeout: 60_000 });
    await e2e.page.locator('[data-testid="job-item"][data-state="done"]').waitFor({ timeout: 15_000 });
    expect(await progressDone()).toBe(TOTAL_STEPS);
    await expect(e2e.page.getByTestId('monitor-backend').innerText()).resolves.toMatch(/wasm|cpu/);
    await expect(e2e.page.getByTestId('compute-backend').innerText()).resolves.toMatch(/wasm|cpu/);

    // The overall return is the chart's first series: its line, below the legend, spans the plot.
    const canvasBox = chart.locator('[data-testid="metrics-chart-canvas"]');
    await e2e.page.waitForTimeout(300);
    const plot = cropRows(decodePng(await shot('train-return-chart', canvasBox)), LEGEND_HEIGHT_PX);
    // The monitor's series are the rewards (RA, RB); RA's line has RA's colour, the same in every chart.
    const line = colorCoverage(plot, namedSeriesColors(['RA', 'RB'])[0]!, 40);
    expect(line.pixels).toBeGreaterThan(300);
    expect(line.maxX - line.minX).toBeGreaterThan(plot.width * 0.6);
    await expect(monitor.locator('[data-family="charts/success"]').count()).resolves.toBe(1);
    await shot('train-monitor-done');
    expect(e2e.pageErrors).toEqual([]);
  });

  it('opens the agent viewer on the trained checkpoint and draws walls, agent and trail', async () => {
    await e2e.page.getByTestId('monitor-view-agent').click();
    const view = e2e.page.getByTestId('agent-view');
    await view.waitFor();
    const step = e2e.page.getByTestId('agent-step');
    await step.waitFor({ timeout: 30_000 });
    await expect(step.innerText()).resolves.toMatch(/^Step 0 of \d+/);

    // → steps forward (the key is the viewer's, not a scroll), then the canvas shows the trail.
    await e2e.page.getByTestId('agent-scrub').blur();
    await e2e.page.keyboard.press('ArrowRight');
    await e2e.page.keyboard.press('ArrowRight');
    await expect(step.innerText()).resolves.toMatch(/^Step 2 of/);
    await e2e.page.keyboard.press('ArrowLeft');
    await expect(step.innerText()).resolves.toMatch(/^Step 1 of/);
    // Space plays (the step advances on its own) and pauses again.
    await e2e.page.keyboard.press(' ');
    await e2e.page.waitForFunction(
      () =>
        !/^Step 1 of/.test(document.querySelector('[data-testid="agent-step"]')?.textContent?.trim() ?? ''),
    );
    await e2e.page.keyboard.press(' ');
    await expect(e2e.page.getByTestId('agent-play').innerText()).resolves.toContain('Play');
    await e2e.page.keyboard.press('Home');
    await e2e.page.keyboard.press('ArrowRight');
    await expect(step.innerText()).resolves.toMatch(/^Step 1 of/);
    await expect(e2e.page.getByTestId('action-bars').getByRole('listitem').count()).resolves.toBe(4);
    await expect(e2e.page.getByTestId('agent-value').innerText()).resolves.toMatch(/\d/);

    const maze = decodePng(await shot('agent-maze', e2e.page.getByTestId('maze-canvas').locator('canvas')));
    const area = maze.width * maze.height;
    // A 5×5 maze has its 16 border cells and some inner ones as walls: a large dark share.
    const walls = colorCoverage(maze, MAZE_COLORS.wall, 12);
    expect(walls.pixels).toBeGreaterThan(area * 0.2);
    expect(walls.columns).toBeGreaterThan(maze.width * 0.5);
    // The agent is a disc of radius a third of a cell (π/9 of one of 25 cells): present, not everywhere.
    const agent = colorCoverage(maze, MAZE_COLORS.agent, 20);
    expect(agent.pixels).toBeGreaterThan(area * 0.005);
    expect(agent.pixels).toBeLessThan(area * 0.05);
    expect(colorCoverage(maze, MAZE_COLORS.floor, 6).pixels).toBeGreaterThan(area * 0.1);

    // The visitation map of one maze tints the visited cells.
    await e2e.page.getByTestId('visitation-run').click();
    const heat = e2e.page.getByTestId('visitation-canvas').locator('canvas');
    await heat.waitFor({ timeout: 30_000 });
    const heatImage = decodePng(await shot('agent-visitation', heat));
    expect(colorCoverage(heatImage, MAZE_COLORS.wall, 12).pixels).toBeGreaterThan(area * 0.05);

    // Evaluate: mean return per reward with its interval, and P(collect) per kind.
    await e2e.page.getByTestId('agent-evaluate').getByRole('spinbutton').fill('64');
    await e2e.page.getByTestId('agent-evaluate').getByRole('spinbutton').press('Tab');
    await e2e.page.getByTestId('evaluate-run').click();
    const rewards = e2e.page.getByTestId('evaluation-rewards');
    await rewards.waitFor({ timeout: 30_000 });
    await expect(rewards.locator('tbody tr').count()).resolves.toBe(2);
    await expect(e2e.page.getByTestId('evaluation-kinds').locator('tbody tr').count()).resolves.toBe(2);
    await e2e.page.getByTestId('evaluation-list').waitFor();
    await shot('agent-view-full', e2e.page);
    expect(e2e.pageErrors).toEqual([]);
  });
});
