/**
 * First paint of a large tensor's heatmap in the real app (`npm run bench:heatmap-large [-- --runs 3]`):
 * two BF16 safetensors files holding a 4096 × 11008 tensor (a 7B Llama's `mlp.down_proj`, 45M
 * parameters; generated once, cached under .bench/), the built headless server (`out/main/serve.cjs`;
 * run `npm run build` first) and the app in Chromium. The two files are diffed by path; then, per run,
 * the timer starts at the click on the tensor's row and stops when its heatmap has drawn every tile
 * of its first view (the panel's data-state turns "ready"): Δ read from both files, its pyramid and
 * colour scale, the tiles, colouring and drawing. Each run uses fresh files (a new mtime), so nothing
 * is served from a cache. Also printed: the server's CPU time over that interval (on a loaded,
 * shared machine the wall time swings with the load; the CPU time much less) and the load average.
 * Goal: first paint < 500 ms.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '../src-main/store';
import { writeSafetensorsFromSource, type SourceTensor, type TensorSource } from '../src-main/weights';
import { launchChromium } from '../tests/e2e/helpers/browser';
import { ensureBuilt, startServe } from '../tests/e2e/helpers/server';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, '.bench', 'heatmap-4096x11008');
const ROWS = 4096;
const COLS = 11008;
const TENSOR = 'model.layers.0.mlp.down_proj.weight';

/** The big tensor and a norm beside it; tuned adds a sparse update (every 7th element, ±1/256) to the big one. */
function source(tuned: boolean): TensorSource {
  const tensors: SourceTensor[] = [
    { name: TENSOR, shape: [ROWS, COLS], dtype: 'F32', count: ROWS * COLS },
    { name: 'model.layers.0.post_attention_layernorm.weight', shape: [ROWS], dtype: 'F32', count: ROWS },
  ];
  return {
    label: tuned ? 'tuned' : 'base',
    tensors,
    metadata: {},
    read(name, start, out) {
      for (let i = 0; i < out.length; i++) {
        const j = start + i;
        let x = Math.imul(j ^ 0x9e3779b1, 0x85ebca6b);
        x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) ^ (x >>> 16);
        const u = (x >>> 0) / 4294967296 - 0.5;
        const row = Math.floor(j / COLS);
        const update = tuned && name === TENSOR && j % 7 === 0 ? (row < 2048 ? 1 : -1) / 256 : 0;
        out[i] = 0.04 * u + update;
      }
    },
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

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

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

ensureBuilt();
const [base, tuned] = ensureFiles();
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
    const t0 = Date.now();
    await row.click();
    await page.locator('[data-testid="diff-heatmap"][data-state="ready"]').waitFor({ timeout: 120_000 });
    const wall = Date.now() - t0;
    const cpu = (cpuSeconds(server.child.pid!) - cpu0) * 1000;
    figures.push({ wall, cpu });
    console.log(
      `run ${run + 1}: first paint ${wall} ms (server CPU ${cpu.toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)})`,
    );
    if (run === 0 && process.env.DELTASCOPE_BENCH_SHOT !== undefined)
      await page.getByTestId('diff-heatmap').screenshot({ path: process.env.DELTASCOPE_BENCH_SHOT });
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(
    `heatmap first paint of a ${ROWS} × ${COLS} BF16 tensor (Δ of two files, from the click on its row): ` +
      `median ${median(figures.map((f) => f.wall))} ms wall, ${median(figures.map((f) => f.cpu)).toFixed(0)} ms server CPU ` +
      `over ${runs} runs — goal < 500 ms`,
  );
} finally {
  await browser.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
