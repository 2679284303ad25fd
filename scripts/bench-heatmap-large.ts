/**
 * First paint of a large tensor's heatmap in the real app (`npm run bench:heatmap-large [-- --runs 3]`):
 * two BF16 safetensors files holding a 4096 × 11008 tensor (a 7B Llama's `mlp.down_proj`, 45M
 * parameters; generated once, cached under .bench/), the built headless server (`out/main/serve.cjs`;
 * run `npm run build` first) and the app in Chromium. The two files are diffed by path; then, per run,
 * the timer starts at the click on the tensor's row and stops when its heatmap has drawn every tile
 * of its first view (the panel's data-state turns "ready"), both seen in the page. Each run uses fresh files (a new mtime),
 * so nothing is served from a cache. Printed per run: the wall time, the server's CPU time over it
 * (on a loaded, shared machine the wall time swings with the load; the CPU time much less), the load
 * average, and where the wall time went, from the browser's request timings: the click to the first
 * tile request (the panel mounting), the first request (the server builds the tensor's view: reads
 * both tensors, Δ, histogram, pooled levels, percentile; then answers with the fit-level tile and the
 * scale), the view's other tiles, and the last reply to the drawn frame (decode, colour, draw).
 * Before the runs, the server's part is also timed in this process on the same files: one raw read
 * of both tensors (the floor), the view's pass, and a tile's encoding. Goal: first paint < 500 ms.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { float32Base64 } from '../src-main/api/weights/weights-tiles';
import { createDatabase } from '../src-main/store';
import {
  buildHeatmapView,
  deltaReader,
  levelToFit,
  nativeHeatmapAvailable,
  openSafetensorsSource,
  viewPercentile,
  viewTile,
  writeSafetensorsFromSource,
  type SourceTensor,
} from '../src-main/weights';
import { launchChromium } from '../tests/e2e/helpers/browser';
import { DOWN_PROJECTION, downProjectionSource } from '../tests/fixtures/down-projection';
import { ensureBuilt, startServe } from '../tests/e2e/helpers/server';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, '.bench', 'heatmap-4096x11008');
const { rows: ROWS, cols: COLS, name: TENSOR } = DOWN_PROJECTION;
const source = downProjectionSource;

function ensureFiles(): [string, string] {
  mkdirSync(dir, { recursive: true });
  const files: [string, string] = [path.join(dir, 'base.safetensors'), path.join(dir, 'tuned.safetensors')];
  files.forEach((file, i) => {
    if (existsSync(file)) return;
    writeSafetensorsFromSource(file, source(i === 1), { dtype: 'BF16' });
    console.log(`generated ${file}`);
  });
  return files;
}

const GOAL_MS = 500;

/** One API call the page made (times in ms since the epoch). */
interface Call {
  method: string;
  level: number | undefined;
  start: number;
  end: number;
}

/**
 * Where a first paint's wall time went, from the page's API calls between the click (t0) and the
 * drawn frame (t1): the click to the first tile request, the first tile call (the server builds the
 * view), the remaining calls, and the last reply to the drawn frame.
 */
function breakdown(calls: readonly Call[], t0: number, t1: number): string {
  const inRun = calls.filter((c) => c.start >= t0 && c.end <= t1).sort((x, y) => x.start - y.start);
  const tiles = inRun.filter((c) => c.method === 'diff.tile');
  if (tiles.length === 0) return `no tile calls seen (${inRun.map((c) => c.method).join(', ')})`;
  const first = tiles[0]!;
  const lastEnd = Math.max(...inRun.map((c) => c.end));
  const others = inRun.filter((c) => c !== first);
  const names = [
    ...new Set(others.map((c) => (c.level === undefined ? c.method : `${c.method} L${c.level}`))),
  ];
  return (
    `click → first tile request ${(first.start - t0).toFixed(0)} ms · first tile (view built) ${(first.end - first.start).toFixed(0)} ms · ` +
    `${others.length} more calls (${names.join(', ')}) until ${(lastEnd - first.end).toFixed(0)} ms after it · ` +
    `last reply → drawn ${(t1 - lastEnd).toFixed(0)} ms`
  );
}

/**
 * Run in the page before a click (a string: this script is not compiled for the DOM): records, in
 * ms since the epoch (the clock of the request timings), the click and the moment the heatmap panel
 * turns "ready" after having been "loading", so a first paint is timed where the user sees it, not
 * when the driver polls for it.
 */
const WATCH_FIRST_PAINT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const state = {};
  window.firstPaint = state;
  document.addEventListener('click', () => { state.click ??= now(); }, { capture: true, once: true });
  const observer = new MutationObserver(() => {
    if (state.click === undefined) return;
    if (document.querySelector('[data-testid="diff-heatmap"][data-state="loading"]')) state.loading = true;
    if (state.loading && document.querySelector('[data-testid="diff-heatmap"][data-state="ready"]')) {
      state.ready = now();
      observer.disconnect();
    }
  });
  observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
})()`;

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Wall and CPU milliseconds of `run` (this process). */
function timed<T>(run: () => T): { result: T; wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = run();
  const used = process.cpuUsage(cpu0);
  return { result, wall: performance.now() - t0, cpu: (used.user + used.system) / 1000 };
}

const ms = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(0)} ms (CPU ${x.cpu.toFixed(0)})`;

/** The server's part of a first paint, in this process: the read floor, the view's pass, a tile's encoding. */
function serverBreakdown(base: string, tuned: string): void {
  const sa = openSafetensorsSource(base);
  const sb = openSafetensorsSource(tuned);
  try {
    const [ta, tb] = [sa, sb].map((s) => s.tensors.find((t) => t.name === TENSOR)!) as [
      SourceTensor,
      SourceTensor,
    ];
    const chunk = 1 << 22;
    const scratch = new Uint8Array(chunk * 4);
    const floor = timed(() => {
      for (let start = 0; start < ta.count; start += chunk) {
        const n = Math.min(chunk, ta.count - start);
        sa.readRaw!(TENSOR, start, n, scratch);
        sb.readRaw!(TENSOR, start, n, scratch);
      }
    });
    const reader = deltaReader(sa, sb, ta, tb);
    const view = timed(() => buildHeatmapView(reader, { percentile: 99 }));
    const inPass = view.result.percentiles.has(99);
    const scale = timed(() => viewPercentile(view.result, 99, reader));
    const level = levelToFit(view.result, 256);
    const tile = timed(() =>
      float32Base64(viewTile(view.result, { level, tileRow: 0, tileCol: 0, tileSize: 256 }, null).data),
    );
    console.log(
      `server part, in this process (${nativeHeatmapAvailable() ? 'C pass' : 'JS pass: the addon is not built'}): ` +
        `read floor of both tensors ${ms(floor)}; view (Δ, histogram, level ${view.result.baseLevel} and up, ` +
        `p99 ${inPass ? 'found in the pass' : 'not predicted'}) ${ms(view)}; percentile after it ${ms(scale)}; ` +
        `fit tile (level ${level}) cut and encoded ${ms(tile)}`,
    );
  } finally {
    sa.close();
    sb.close();
  }
}

ensureBuilt();
const [base, tuned] = ensureFiles();
serverBreakdown(base, tuned);
const work = path.join(dir, 'run');
rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(work, 'app-data'), { recursive: true });
const db = path.join(work, 'bench.deltascope');
createDatabase(db).close();
const server = await startServe(db, path.join(work, 'app-data'));
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(server.url);
  const calls: Call[] = [];
  page.on('requestfinished', (request) => {
    if (!request.url().includes('/api/call')) return;
    const body = JSON.parse(request.postData() ?? '{}') as { method?: string; params?: { level?: number } };
    const timing = request.timing();
    calls.push({
      method: body.method ?? '?',
      level: body.params?.level,
      start: timing.startTime,
      end: timing.startTime + timing.responseEnd,
    });
  });
  const figures: { wall: number; cpu: number }[] = [];
  for (let run = 0; run < runs; run++) {
    // Fresh copies with a new mtime: the server cannot reuse anything it computed before.
    const a = path.join(work, `base-${run}.safetensors`);
    const b = path.join(work, `tuned-${run}.safetensors`);
    copyFileSync(base, a);
    copyFileSync(tuned, b);
    const now = new Date(Date.now() + run * 1000);
    utimesSync(a, now, now);
    utimesSync(b, now, now);
    await page.locator('nav [data-view="diff"]').click({ timeout: 30_000 });
    const details = page.getByTestId('diff-paths');
    if ((await details.count()) > 0 && (await details.getAttribute('open')) === null)
      await details.locator('summary').click();
    const form = page.getByTestId('diff-paths-form');
    await form.getByTestId('diff-path-a').fill(a);
    await form.getByTestId('diff-path-b').fill(b);
    await form.getByTestId('diff-paths-open').click();
    const summary = page.getByTestId('diff-summary');
    const title = page.locator('.diff-view__title', { hasText: path.basename(b) });
    await title.waitFor({ timeout: 300_000 });
    await summary.waitFor({ timeout: 300_000 });
    const block = page.locator('tr[data-block="model.layers.0"]');
    if ((await block.getAttribute('aria-expanded')) !== 'true') await block.click();
    const row = page.locator(`tr[data-tensor="${TENSOR}"]`);
    const cpu0 = cpuSeconds(server.child.pid!);
    calls.length = 0;
    await page.evaluate(WATCH_FIRST_PAINT);
    const t0 = Date.now();
    await row.click();
    await page.locator('[data-testid="diff-heatmap"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const seen = Date.now() - t0;
    const cpu = (cpuSeconds(server.child.pid!) - cpu0) * 1000;
    const paint = (await page.evaluate('window.firstPaint')) as { click?: number; ready?: number };
    if (paint.click === undefined || paint.ready === undefined)
      throw new Error('the page saw no click on the row, or no heatmap turning ready after it');
    const wall = paint.ready - paint.click;
    figures.push({ wall, cpu });
    console.log(
      `run ${run + 1}: first paint ${wall.toFixed(0)} ms (in the page, click → drawn; ${seen} ms as the driver saw it) · ` +
        `server CPU ${cpu.toFixed(0)} ms · load average ${loadavg()[0]!.toFixed(1)}` +
        `\n  ${breakdown(calls, paint.click, paint.ready)}`,
    );
    if (run === 0 && process.env.DELTASCOPE_BENCH_SHOT !== undefined)
      await page.getByTestId('diff-heatmap').screenshot({ path: process.env.DELTASCOPE_BENCH_SHOT });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const paint = median(figures.map((f) => f.wall));
  console.log(
    `heatmap first paint of a ${ROWS} × ${COLS} BF16 tensor (Δ of two files, from the click on its row): ` +
      `median ${paint.toFixed(0)} ms wall, ${median(figures.map((f) => f.cpu)).toFixed(0)} ms server CPU ` +
      `over ${runs} runs, load average ${loadavg()[0]!.toFixed(1)} — ${(paint / GOAL_MS).toFixed(2)}× the goal of < ${GOAL_MS} ms`,
  );
} finally {
  await browser.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
