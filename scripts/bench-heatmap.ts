// Heatmap rendering speed in Chromium: the first full paint of a 4096×4096 tensor and the time of one
// pan / zoom frame, with the real renderer (src-renderer/heatmap) fed the real level-of-detail tiles
// (src-main/weights/heatmap-tiles.ts), both bundled by esbuild into one bench page.
//   npx tsx scripts/bench-heatmap.ts [--size 4096] [--frames 60]
// Goals: full paint ≤ 500 ms, pan/zoom frame ≤ 16 ms.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '4096' },
    frames: { type: 'string', default: '60' },
  },
});
const size = Number(values.size);
const frames = Number(values.frames);
const heatmapDir = fileURLToPath(new URL('../src-renderer/heatmap', import.meta.url));
const CHROMIUM = process.env.DELTASCOPE_CHROMIUM ?? '/usr/bin/chromium';

// The page side. Every figure is measured inside the page with performance.now(); a paint is only
// counted as done once the canvas has been rasterised (a 1-pixel getImageData forces it).
const entry = `
import { createHeatmapRenderer } from './index';
import { heatmapTile, tensorAsMatrix } from '../../src-main/weights/heatmap-tiles';

const TILE = 256;
const flush = (canvas) => canvas.getContext('2d').getImageData(0, 0, 1, 1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

function makeTensor(n) {
  // Smooth structure, deterministic noise and a few isolated spikes that pooling must keep visible.
  const data = new Float32Array(n * n);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const r = Math.floor(i / n), c = i % n;
    data[i] = 0.02 * Math.sin(r / 97) * Math.cos(c / 53) + 0.004 * ((s / 4294967296) - 0.5);
  }
  for (let k = 0; k < 16; k++) data[(k * 7919 * 257) % data.length] = k % 2 ? 1 : -1;
  return data;
}

function memorySource(matrix, rows, cols) {
  const cache = new Map();
  return {
    rows, cols, tileSize: TILE,
    tile(address) {
      const key = address.level + '/' + address.tileRow + '/' + address.tileCol;
      let tile = cache.get(key);
      if (!tile) {
        const t = heatmapTile(matrix, { ...address, tileSize: TILE });
        tile = { values: t.data, rows: t.rows, cols: t.cols, level: t.level, factor: t.factor, rowStart: t.rowStart, colStart: t.colStart };
        cache.set(key, tile);
      }
      return tile;
    },
    fetchTile(address) { return Promise.resolve(this.tile(address)); },
  };
}

function canvasOf(cssSize) {
  const canvas = document.createElement('canvas');
  canvas.style.width = cssSize + 'px';
  canvas.style.height = cssSize + 'px';
  document.body.append(canvas);
  return canvas;
}

async function firstPaint(source, cssSize) {
  const canvas = canvasOf(cssSize);
  const renderer = createHeatmapRenderer(canvas, { maxPendingTiles: 4096, cacheCells: 64 * 1024 * 1024, fitPadding: 0 });
  renderer.resize(cssSize, cssSize, 1);
  renderer.setScale({ limit: 0.02, mode: 'linear', decades: 3 });
  const t0 = performance.now();
  renderer.setSource(source);
  await renderer.whenIdle();
  flush(canvas);
  return { ms: performance.now() - t0, renderer, canvas };
}

function frameTimes(renderer, canvas, count, step) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    step(i);
    renderer.renderNow();
    flush(canvas);
    times.push(performance.now() - t0);
  }
  return { median: median(times), p95: p95(times) };
}

/** Panning driven by requestAnimationFrame, as a drag does: intervals between frames, and how many
 *  missed the 60 Hz budget (an interval over 20 ms means a dropped frame). */
function rafPan(renderer, count) {
  return new Promise((resolve) => {
    const intervals = [];
    let last = null;
    let i = 0;
    const tick = (now) => {
      if (last !== null) intervals.push(now - last);
      last = now;
      if (i >= count) {
        resolve({ median: median(intervals), p95: p95(intervals), dropped: intervals.filter((x) => x > 20).length, count: intervals.length });
        return;
      }
      renderer.panBy(i % 2 ? 23 : -23, 0);
      renderer.renderNow();
      i += 1;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

window.runBench = async (n, frames) => {
  const t0 = performance.now();
  const data = makeTensor(n);
  const matrix = tensorAsMatrix([n, n], data);
  const generateMs = performance.now() - t0;

  // 1. Every cell at full resolution: an n×n CSS-pixel canvas, level 0, (n/256)² tiles.
  const full = memorySource(matrix, n, n);
  let t1 = performance.now();
  const levels = Math.ceil(n / TILE);
  for (let r = 0; r < levels; r++) for (let c = 0; c < levels; c++) full.tile({ level: 0, tileRow: r, tileCol: c });
  const fullTilesMs = performance.now() - t1;
  const fullPaint = await firstPaint(full, n);
  const fullPan = frameTimes(fullPaint.renderer, fullPaint.canvas, Math.min(frames, 20), (i) => fullPaint.renderer.panBy(i % 2 ? 37 : -37, 0));
  fullPaint.renderer.destroy();
  fullPaint.canvas.remove();

  // 2. What the app shows first: the whole tensor fitted into a 1024×1024 canvas (level 2 tiles,
  //    pooled by max |value| like the main side's diff.tile), then pan and zoom frames.
  const fit = memorySource(matrix, n, n);
  t1 = performance.now();
  const fitLevel = Math.max(0, Math.ceil(Math.log2(n / 1024)));
  const span = TILE * 2 ** fitLevel;
  for (let r = 0; r < Math.ceil(n / span); r++) for (let c = 0; c < Math.ceil(n / span); c++) fit.tile({ level: fitLevel, tileRow: r, tileCol: c });
  const fitPoolMs = performance.now() - t1;
  const fitPaint = await firstPaint(fit, 1024);
  const pan = frameTimes(fitPaint.renderer, fitPaint.canvas, frames, (i) => fitPaint.renderer.panBy(i % 2 ? 23 : -23, i % 3 ? 11 : -11));
  const zoom = frameTimes(fitPaint.renderer, fitPaint.canvas, frames, (i) => fitPaint.renderer.zoomBy(i % 2 ? 1 / 1.1 : 1.1, 400, 300));
  const rafFit = await rafPan(fitPaint.renderer, frames);
  // Zoomed in to full resolution (level 0 tiles around the view), after its tiles have loaded.
  fitPaint.renderer.zoomBy(8, 512, 512);
  await fitPaint.renderer.whenIdle();
  const panDeep = frameTimes(fitPaint.renderer, fitPaint.canvas, frames, (i) => fitPaint.renderer.panBy(i % 2 ? 29 : -29, 0));
  fitPaint.renderer.destroy();

  return { generateMs, fullTilesMs, fullPaintMs: fullPaint.ms, fullPan, fitLevel, fitPoolMs, fitPaintMs: fitPaint.ms, pan, zoom, panDeep, rafFit };
};
`;

const bundle = await build({
  stdin: { contents: entry, resolveDir: heatmapDir, loader: 'ts', sourcefile: 'bench-heatmap-page.ts' },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  write: false,
  logLevel: 'silent',
});
const script = bundle.outputFiles[0]?.text ?? '';

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.setContent('<!doctype html><html><body style="margin:0"></body></html>');
  await page.addScriptTag({ content: script });
  type Frames = { median: number; p95: number };
  const r = await page.evaluate(
    ([n, count]) =>
      (window as unknown as { runBench(n: number, f: number): Promise<Record<string, unknown>> }).runBench(
        n,
        count,
      ),
    [size, frames] as const,
  );
  if (errors.length > 0) throw new Error(`the bench page failed: ${errors.join('; ')}`);
  const ms = (x: unknown): string => `${(x as number).toFixed(1)} ms`;
  const fr = (x: unknown): string => `median ${ms((x as Frames).median)}, p95 ${ms((x as Frames).p95)}`;
  const version = browser.version();
  console.log(
    `heatmap bench: ${size}×${size} float32 tensor, Chromium ${version} (software raster, --disable-gpu)`,
  );
  console.log(`  tensor generated in the page                      ${ms(r.generateMs)}`);
  console.log(`full resolution (${size}×${size} CSS px canvas, level 0, every cell a pixel):`);
  console.log(`  level-0 tiles cut (main side's work, not the renderer's)  ${ms(r.fullTilesMs)}`);
  console.log(`  first full paint (colour + draw + raster)          ${ms(r.fullPaintMs)}   goal ≤ 500 ms`);
  console.log(`  pan frame                                          ${fr(r.fullPan)}   goal ≤ 16 ms`);
  console.log(`fitted into a 1024×1024 canvas (what the app shows first; level ${r.fitLevel} tiles):`);
  console.log(`  max-|v| pooling of the level (main side's work)    ${ms(r.fitPoolMs)}`);
  console.log(`  first full paint                                   ${ms(r.fitPaintMs)}   goal ≤ 500 ms`);
  console.log(`  pan frame                                          ${fr(r.pan)}   goal ≤ 16 ms`);
  console.log(`  zoom frame                                         ${fr(r.zoom)}   goal ≤ 16 ms`);
  console.log(`  pan frame zoomed in to level 0                     ${fr(r.panDeep)}   goal ≤ 16 ms`);
  const raf = r.rafFit as Frames & { dropped: number; count: number };
  console.log(
    `  rAF-driven panning: frame interval ${fr(raf)}, ${raf.dropped} of ${raf.count} intervals > 20 ms (dropped frames)`,
  );
} finally {
  await browser.close();
}
