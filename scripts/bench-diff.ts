/**
 * Diff benchmark: diff + every statistic of two ~10M-parameter float32 checkpoints stored in a
 * Deltascope database, against the floor of one plain read pass over both checkpoints' bytes.
 *
 *   npm run bench:diff -- [--params 10000000] [--repeats 3] [--bins 64] [--keep-db]
 *
 * The parent writes the database, then runs each measurement in its own child process:
 *   floor: read both checkpoints (db.checkpoints.readWeights, sha256-checked) + sum every float;
 *   diff:  read both checkpoints + build the tensor maps (views) + diffCheckpoints (all statistics).
 * Timing children repeat their measurement (repeat 1 is cold: V8 has not optimised yet; the best
 * is warm). Memory is measured by separate single-shot children, so the peak resident memory
 * (getrusage maxRSS) of one read+diff is not inflated by the setup or by earlier repeats.
 * Goals: diff/floor time ≤ 3×, diff peak RSS ≤ 3× the two checkpoints' combined size.
 * `--large [--scale s] [--model 7b] …`: the sharded-folder benchmark of bench-diff-large.ts instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, openDatabase } from '../src-main/store';
import { diffCheckpoints, tensorMapFromManifest } from '../src-main/weights';
import { runLargeBench } from './bench-diff-large';

interface Args {
  params: number;
  repeats: number;
  bins: number;
  keepDb: boolean;
  child: 'floor' | 'diff' | null;
  db: string;
  ids: [number, number];
}

interface ChildResult {
  mode: 'floor' | 'diff';
  /** Wall time of each repeat: read + compute. */
  totalMs: number[];
  /** The compute part of each repeat (after both checkpoints are in memory). */
  computeMs: number[];
  rssBaselineBytes: number;
  peakRssBytes: number;
  checksum: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    params: 10_000_000,
    repeats: 3,
    bins: 64,
    keepDb: false,
    child: null,
    db: '',
    ids: [0, 0],
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1] ?? '';
    if (key === '--params') args.params = Number(value);
    else if (key === '--repeats') args.repeats = Number(value);
    else if (key === '--bins') args.bins = Number(value);
    else if (key === '--child') args.child = value === 'diff' ? 'diff' : 'floor';
    else if (key === '--db') args.db = value;
    else if (key === '--ids') args.ids = value.split(',').map(Number) as [number, number];
    else if (key === '--keep-db') {
      args.keepDb = true;
      continue;
    } else throw new Error(`unknown argument ${key}`);
    i++;
  }
  if (!Number.isInteger(args.params) || args.params < 1000)
    throw new Error('--params must be an integer ≥ 1000');
  if (!Number.isInteger(args.repeats) || args.repeats < 1)
    throw new Error('--repeats must be a positive integer');
  return args;
}

/** An MLP-shaped layout (input → h → h → 15-way policy + value) with about `params` parameters. */
function layout(params: number): { name: string; shape: number[] }[] {
  const hidden = Math.min(2048, Math.floor(Math.sqrt(params / 2.5)));
  const fixed = 2 * hidden * hidden + 19 * hidden + 16;
  const input = Math.max(1, Math.round((params - fixed) / hidden));
  return [
    { name: 'torso.dense1.kernel', shape: [input, hidden] },
    { name: 'torso.dense1.bias', shape: [hidden] },
    { name: 'torso.dense2.kernel', shape: [hidden, hidden] },
    { name: 'torso.dense2.bias', shape: [hidden] },
    { name: 'torso.dense3.kernel', shape: [hidden, hidden] },
    { name: 'torso.dense3.bias', shape: [hidden] },
    { name: 'policy.kernel', shape: [hidden, 15] },
    { name: 'policy.bias', shape: [15] },
    { name: 'value.kernel', shape: [hidden, 1] },
    { name: 'value.bias', shape: [1] },
  ];
}

/** Writes checkpoint A (uniform weights) and B = A + a small, sparse-ish update; returns their ids. */
function writeDatabase(
  dbPath: string,
  params: number,
): { ids: [number, number]; paramCount: number; bytes: number } {
  const db = createDatabase(dbPath);
  try {
    const experiment = db.experiments.create({ name: 'bench-diff' });
    const run = db.runs.create({
      experimentId: experiment.id,
      name: 'bench',
      phase: 'imported',
      reward: { name: 'none', collect: {}, stepCost: 0, reach: {} },
      seed: null,
    });
    let state = 12345;
    const next = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 4294967296;
    };
    const shapes = layout(params);
    const tensorsA = shapes.map(({ name, shape }) => {
      const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
      for (let i = 0; i < data.length; i++) data[i] = (next() - 0.5) * 0.1;
      return { name, shape, data };
    });
    const tensorsB = tensorsA.map(({ name, shape, data }) => {
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = data[i]! + (next() < 0.3 ? (next() - 0.5) * 1e-3 : 0);
      return { name, shape, data: out };
    });
    const provenance = { kind: 'fixture' as const, description: 'bench' };
    const a = db.checkpoints.put({ runId: run.id, step: 0, label: 'A', tensors: tensorsA, provenance });
    const b = db.checkpoints.put({ runId: run.id, step: 1, label: 'B', tensors: tensorsB, provenance });
    return { ids: [a.id, b.id], paramCount: a.paramCount, bytes: a.byteLength + b.byteLength };
  } finally {
    db.close();
  }
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Σ of every float of both arrays: the floor's "touch every byte once". */
function plainPass(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]!;
  for (let i = 0; i < b.length; i++) sum += b[i]!;
  return sum;
}

function runChild(args: Args): ChildResult {
  const mode = args.child ?? 'floor';
  const db = openDatabase(args.db);
  const [idA, idB] = args.ids;
  collectGarbage();
  const rssBaselineBytes = process.memoryUsage().rss;
  const totalMs: number[] = [];
  const computeMs: number[] = [];
  let checksum = 0;
  try {
    for (let r = 0; r < args.repeats; r++) {
      collectGarbage();
      const t0 = performance.now();
      const a = db.checkpoints.readWeights(idA);
      const b = db.checkpoints.readWeights(idB);
      const t1 = performance.now();
      if (mode === 'floor') {
        checksum = plainPass(a.weights, b.weights);
      } else {
        const mapA = tensorMapFromManifest(a.manifest, a.weights, `checkpoint ${idA}`);
        const mapB = tensorMapFromManifest(b.manifest, b.weights, `checkpoint ${idB}`);
        const diff = diffCheckpoints(mapA, mapB, { bins: args.bins });
        checksum = diff.model.l2 + diff.model.count;
      }
      const t2 = performance.now();
      totalMs.push(t2 - t0);
      computeMs.push(t2 - t1);
    }
  } finally {
    db.close();
  }
  return {
    mode,
    totalMs,
    computeMs,
    rssBaselineBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    checksum,
  };
}

function spawnChild(
  mode: 'floor' | 'diff',
  args: Args,
  dbPath: string,
  ids: [number, number],
  repeats: number,
): Promise<ChildResult> {
  const script = fileURLToPath(import.meta.url);
  const childArgs = [
    ...process.execArgv,
    '--expose-gc',
    script,
    '--child',
    mode,
    '--db',
    dbPath,
    '--ids',
    ids.join(','),
    '--repeats',
    String(repeats),
    '--bins',
    String(args.bins),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode} child exited with code ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      resolve(JSON.parse(last) as ChildResult);
    });
  });
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  if (process.argv.includes('--large')) {
    runLargeBench(process.argv.slice(2));
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  if (args.child !== null) {
    console.log(JSON.stringify(runChild(args)));
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'deltascope-bench-diff-'));
  const dbPath = path.join(dir, 'bench.deltascope');
  try {
    const setupStart = performance.now();
    const { ids, paramCount, bytes } = writeDatabase(dbPath, args.params);
    console.log(
      `wrote 2 checkpoints of ${paramCount.toLocaleString('en')} float32 parameters (${mb(bytes)} together) in ${ms(performance.now() - setupStart)}`,
    );
    // Sequential, never concurrent: the machine may have only two cores.
    const floor = await spawnChild('floor', args, dbPath, ids, args.repeats);
    const diff = await spawnChild('diff', args, dbPath, ids, args.repeats);
    const floorMemory = await spawnChild('floor', args, dbPath, ids, 1);
    const diffMemory = await spawnChild('diff', args, dbPath, ids, 1);
    const best = (values: number[]): number => Math.min(...values);
    const cold = { floor: floor.totalMs[0]!, diff: diff.totalMs[0]! };
    const warm = { floor: best(floor.totalMs), diff: best(diff.totalMs) };
    const compute = { floor: best(floor.computeMs), diff: best(diff.computeMs) };
    console.log(
      `floor (read both + one plain pass): cold ${ms(cold.floor)}, best ${ms(warm.floor)}  [${floor.totalMs.map(ms).join(', ')}]`,
    );
    console.log(
      `diff  (read both + all statistics): cold ${ms(cold.diff)}, best ${ms(warm.diff)}  [${diff.totalMs.map(ms).join(', ')}]`,
    );
    console.log(
      `ratio diff/floor: cold ${(cold.diff / cold.floor).toFixed(2)}×, best ${(warm.diff / warm.floor).toFixed(2)}× (goal ≤ 3×)`,
    );
    console.log(
      `compute only (data already in memory): plain pass ${ms(compute.floor)}, diff ${ms(compute.diff)} → ${(compute.diff / compute.floor).toFixed(2)}×`,
    );
    const baseline = diffMemory.rssBaselineBytes;
    console.log(
      `peak RSS of one read+diff: ${mb(diffMemory.peakRssBytes)} = ${(diffMemory.peakRssBytes / bytes).toFixed(2)}× the checkpoints' ${mb(bytes)} (goal ≤ 3×); ` +
        `of one read+plain pass: ${mb(floorMemory.peakRssBytes)}`,
    );
    console.log(
      `  of which the process held ${mb(baseline)} before reading (Node, tsx, SQLite); above that: diff ` +
        `${mb(diffMemory.peakRssBytes - baseline)} = ${((diffMemory.peakRssBytes - baseline) / bytes).toFixed(2)}×, ` +
        `floor ${mb(floorMemory.peakRssBytes - floorMemory.rssBaselineBytes)}`,
    );
    console.log(
      JSON.stringify({
        params: paramCount,
        checkpointBytes: bytes,
        repeats: args.repeats,
        floorMs: floor.totalMs,
        diffMs: diff.totalMs,
        floorComputeMs: floor.computeMs,
        diffComputeMs: diff.computeMs,
        ratioCold: cold.diff / cold.floor,
        ratioBest: warm.diff / warm.floor,
        ratioComputeBest: compute.diff / compute.floor,
        diffPeakRssBytes: diffMemory.peakRssBytes,
        floorPeakRssBytes: floorMemory.peakRssBytes,
        baselineRssBytes: baseline,
        memoryRatio: diffMemory.peakRssBytes / bytes,
        memoryRatioAboveBaseline: (diffMemory.peakRssBytes - baseline) / bytes,
      }),
    );
  } finally {
    if (args.keepDb) console.log(`database kept at ${dbPath}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
