/**
 * Aggregation benchmark: each aggregator's per-element loop in JS against its C kernel
 * (native/blas/src/aggregate.c, ties.c), alone and inside a whole merge written as a folder.
 *
 *   npm run bench:aggregate -- [--params 100000000] [--dtype BF16] [--only mean,median,dare,ties]
 *                              [--kernel-only] [--delete]
 *
 * 1. kernel: the aggregator alone on three in-memory float32 deltas of 2²² elements (one chunk of a
 *    streamed merge), best of five, in ns of CPU and of wall time per element, JS vs C.
 * 2. merge: a base and three tuned HF-style folders of `--params` parameters in `--dtype` (generated
 *    once, cached under .bench/aggregate-…), merged θ_base + m (aggregatedSource, merge: true) and
 *    written as a folder (writeSafetensorsFolder), each run in a fresh child process, with the JS
 *    loops (DELTASCOPE_NATIVE_AGGREGATE=off, and DELTASCOPE_NATIVE_TIES=off for TIES) and with C;
 *    against the floor: one sequential read of the four folders plus one write of a folder's bytes.
 * Wall and CPU seconds are printed with `uptime` before and after: on a shared machine the wall
 * figures swing with the load, the CPU ones much less.
 */
import { execSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  aggregatedSource,
  aggregateTensor,
  openSafetensorsSource,
  writeSafetensorsFolder,
  type AggregatorSpec,
  type SafetensorsDtype,
  type SourceTensor,
  type TensorSource,
} from '../src-main/weights';
import { setNativeAggregate } from '../src-main/weights/native-aggregate';
import { setNativeTies } from '../src-main/weights/native-ties';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['base', 'tuned-1', 'tuned-2', 'tuned-3'];
const SPECS: Record<string, AggregatorSpec> = {
  mean: { kind: 'mean' },
  median: { kind: 'median' },
  dare: { kind: 'dare', dropProbability: 0.9, seed: 7 },
  ties: { kind: 'ties', density: 0.2 },
};
/** A square MLP-like matrix: 2048 × 2048 = 4.2M parameters per tensor. */
const SIDE = 2048;

/** `params` parameters as `model.layers.N.mlp.weight` tensors of SIDE × SIDE (the last one shorter). */
function layout(params: number): SourceTensor[] {
  const tensors: SourceTensor[] = [];
  for (let left = params, i = 0; left > 0; i++) {
    const rows = Math.min(SIDE, Math.ceil(left / SIDE));
    tensors.push({
      name: `model.layers.${i}.mlp.weight`,
      shape: [rows, SIDE],
      dtype: 'F32',
      count: rows * SIDE,
    });
    left -= rows * SIDE;
  }
  return tensors;
}

/** Deterministic values per chunk: base ~ U(−0.05, 0.05); tuned variant v adds a dense update of ±0.005. */
function syntheticSource(params: number, variant: number): TensorSource {
  const tensors = layout(params);
  const seeds = new Map(tensors.map((t, i) => [t.name, (i + 1) * 0x9e3779b1]));
  return {
    label: FOLDERS[variant]!,
    tensors,
    metadata: {},
    read(name, start, out) {
      const seed = seeds.get(name)!;
      for (let i = 0; i < out.length; i++) {
        let x = Math.imul((start + i) ^ seed, 0x85ebca6b);
        x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) ^ (x >>> 16);
        const u = (x >>> 0) / 4294967296;
        let y = Math.imul(x ^ (variant * 0x27d4eb2d), 0x165667b1);
        y ^= y >>> 15;
        out[i] = (u - 0.5) * 0.1 + (variant > 0 ? ((y >>> 0) / 4294967296 - 0.5) * 0.01 : 0);
      }
    },
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

function ensureFolders(params: number, dtype: SafetensorsDtype): string {
  const dir = path.join(root, '.bench', `aggregate-${dtype}-${params}`);
  mkdirSync(dir, { recursive: true });
  FOLDERS.forEach((name, variant) => {
    const folder = path.join(dir, name);
    if (existsSync(path.join(folder, 'model.safetensors.index.json'))) return;
    rmSync(folder, { recursive: true, force: true });
    const started = performance.now();
    writeSafetensorsFolder(folder, syntheticSource(params, variant), { dtype });
    console.log(
      `generated ${folder} (${(folderBytes(folder) / 1e9).toFixed(2)} GB) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  });
  return dir;
}

/** Child: one measurement, printed as a JSON line. */
function child(kind: string, dir: string): void {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const out = path.join(dir, 'merged');
  rmSync(out, { recursive: true, force: true });
  const inputs = FOLDERS.map((name) => path.join(dir, name));
  if (kind === 'floor') {
    const buffer = new Uint8Array(16 * 1024 * 1024);
    for (const folder of inputs) {
      for (const file of readdirSync(folder)) {
        const fd = openSync(path.join(folder, file), 'r');
        while (readSync(fd, buffer, 0, buffer.length, null) > 0);
        closeSync(fd);
      }
    }
    mkdirSync(out);
    const fd = openSync(path.join(out, 'out.bin'), 'w');
    for (let left = folderBytes(inputs[0]!); left > 0; left -= buffer.length)
      writeSync(fd, buffer, 0, Math.min(left, buffer.length));
    closeSync(fd);
  } else {
    const [base, ...deltas] = inputs.map((folder) => openSafetensorsSource(folder));
    const merged = aggregatedSource({ spec: SPECS[kind]!, base: base!, deltas, merge: true });
    writeSafetensorsFolder(out, merged, { chunkElements: merged.chunkElements });
  }
  rmSync(out, { recursive: true, force: true });
  const cpu = process.cpuUsage(cpuStarted);
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
}

function measure(kind: string, dir: string, js: boolean): { seconds: number; cpuSeconds: number } {
  const env = { ...process.env };
  if (js) {
    env.DELTASCOPE_NATIVE_AGGREGATE = 'off';
    if (kind === 'ties') env.DELTASCOPE_NATIVE_TIES = 'off';
  }
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', kind, dir],
    {
      cwd: root,
      env,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`${kind} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { seconds: number; cpuSeconds: number };
}

/** The aggregator alone on three deltas of one chunk: best of five, ns of wall and of CPU time per element. */
function kernelNs(kind: string, deltas: Float32Array[]): { wall: number; cpu: number } {
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    aggregateTensor(SPECS[kind]!, { name: 'model.layers.0.mlp.weight', deltas });
    const used = process.cpuUsage(cpuStarted);
    wall = Math.min(wall, performance.now() - started);
    cpu = Math.min(cpu, (used.user + used.system) / 1000);
  }
  const n = deltas[0]!.length;
  return { wall: (wall * 1e6) / n, cpu: (cpu * 1e6) / n };
}

function uptime(): string {
  return execSync('uptime').toString().trim();
}

function main(argv: string[]): void {
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const params = Number(at('--params') ?? 100_000_000);
  const dtype = (at('--dtype') ?? 'BF16') as SafetensorsDtype;
  const kinds = (at('--only') ?? 'mean,median,dare,ties').split(',');
  if (!(params > 0) || kinds.some((k) => !(k in SPECS)))
    throw new Error(`--params must be > 0 and --only a list of ${Object.keys(SPECS).join(', ')}`);
  console.log(`uptime: ${uptime()}`);

  const size = 1 << 22;
  const source = syntheticSource(size, 0);
  const deltas = [1, 2, 3].map((variant) => {
    const d = new Float32Array(size);
    syntheticSource(size, variant).read(source.tensors[0]!.name, 0, d);
    return d;
  });
  console.log(`kernel: the aggregator alone on 3 deltas of ${size} float32 elements (best of 5)`);
  for (const kind of kinds) {
    setNativeAggregate(false);
    setNativeTies(false);
    const js = kernelNs(kind, deltas);
    setNativeAggregate(true);
    setNativeTies(true);
    const c = kernelNs(kind, deltas);
    console.log(
      `  ${kind.padEnd(6)} JS ${js.cpu.toFixed(2)} ns CPU (${js.wall.toFixed(2)} wall) per element, ` +
        `C ${c.cpu.toFixed(2)} ns CPU (${c.wall.toFixed(2)} wall): ${(js.cpu / c.cpu).toFixed(1)}× in CPU, ${(js.wall / c.wall).toFixed(1)}× wall`,
    );
  }
  if (argv.includes('--kernel-only')) return;

  const dir = ensureFolders(params, dtype);
  const gb = (folderBytes(path.join(dir, 'base')) / 1e9).toFixed(2);
  console.log(
    `merge: θ_base + m of 3 deltas, ${(params / 1e6).toFixed(0)}M ${dtype} parameters (${gb} GB a folder), written as a folder`,
  );
  const floor = measure('floor', dir, false);
  const figure = (m: { seconds: number; cpuSeconds: number }) =>
    `${m.seconds.toFixed(1)} s (${m.cpuSeconds.toFixed(1)} s CPU; ${(m.seconds / floor.seconds).toFixed(2)}× floor, ${(m.cpuSeconds / floor.cpuSeconds).toFixed(2)}× in CPU)`;
  console.log(
    `  floor  (read 4 folders, write 1) ${floor.seconds.toFixed(1)} s (${floor.cpuSeconds.toFixed(1)} s CPU)`,
  );
  for (const kind of kinds) {
    const js = measure(kind, dir, true);
    const c = measure(kind, dir, false);
    console.log(
      `  ${kind.padEnd(6)} JS ${figure(js)} | C ${figure(c)} | JS/C ${(js.seconds / c.seconds).toFixed(2)}× wall, ${(js.cpuSeconds / c.cpuSeconds).toFixed(2)}× CPU`,
    );
  }
  console.log(`uptime: ${uptime()}`);
  if (argv.includes('--delete')) rmSync(dir, { recursive: true, force: true });
}

const entry =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (entry && process.argv[2] === '--child') child(process.argv[3]!, process.argv[4]!);
else if (entry) main(process.argv.slice(2));
