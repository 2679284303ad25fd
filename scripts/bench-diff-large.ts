/**
 * Large-model diff benchmark (`npm run bench:diff -- --large [--scale 1]`): two synthetic
 * Hugging Face-style folders per dtype (a TinyLlama-shaped 1.1B-parameter model at --scale 1: 22
 * layers, hidden 2048, MLP 5632, vocabulary 32000), sharded at 2 GB, generated once and cached
 * under .bench/. For each dtype (BF16, F32) it prints, each measured in a fresh child process:
 *   floor  one sequential read of both folders' files (16 MiB reads, bytes discarded);
 *   diff   openSafetensorsSource × 2 + diffSources (every statistic) — time and peak RSS;
 *   import the tuned folder streamed into a new database — time and database size;
 *   ties   (with --ties) TIES (density 0.2) of three tuned folders merged into the base and written
 *          as a sharded folder (aggregatedSource → writeSafetensorsFolder), against its floor: one
 *          sequential read of the four folders plus one write of a folder's bytes.
 * Goals: diff ≤ 1.5× the floor, peak RSS ≤ 1 GiB. Needs ~13 GB of disk at --scale 1 (+ 3 folders
 * of the dtype with --ties). `--only BF16` measures one dtype. `--model 7b` takes Llama-2-7B's layout
 * instead (32 layers, hidden 4096, MLP 11008: 6.7B parameters, 2 × 13.5 GB in BF16); `--no-import`
 * skips the import (a second copy on disk), `--delete` removes a dtype's folders once measured, and
 * `--generate-only` generates the folders and measures nothing. Each child
 * also reports its CPU seconds: on a shared, loaded machine wall times swing several-fold between
 * runs, and the CPU-time ratio is the steadier figure (the floor's is mostly the kernel's copy out
 * of the page cache, so it is the ratio for a warm cache — a cold disk only lowers it).
 */
import { spawnSync } from 'node:child_process';
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
import { createDatabase } from '../src-main/store';
import {
  aggregatedSource,
  diffSources,
  openSafetensorsSource,
  writeSafetensorsFolder,
  type SafetensorsDtype,
  type SourceTensor,
  type TensorSource,
} from '../src-main/weights';
import { hfTensorShapes } from '../tests/fixtures/hf-folders';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARD_BYTES = 2_000_000_000;

/** The synthetic models: TinyLlama-1.1B (the default) and Llama-2-7B (`--model 7b`). */
const MODELS = {
  '1.1b': { layers: 22, hidden: 2048, mlp: 5632, vocab: 32000, kv: 256 },
  '7b': { layers: 32, hidden: 4096, mlp: 11008, vocab: 32000, kv: 4096 },
} as const;
type ModelName = keyof typeof MODELS;

/** A model's tensor layout, every dimension but the layer count scaled by √scale. */
function layout(model: ModelName, scale: number): { name: string; shape: number[] }[] {
  const s = (n: number) => Math.max(8, Math.round((n * Math.sqrt(scale)) / 8) * 8);
  const { layers, hidden, mlp, vocab, kv } = MODELS[model];
  return hfTensorShapes({ layers, hidden: s(hidden), mlp: s(mlp), vocab: s(vocab), kv: s(kv) });
}

/**
 * Deterministic values generated per chunk (nothing held): base ~ U(−0.05, 0.05); tuned variant v ≥ 1
 * adds a small update to MLP tensors (variant 1: every 16th element; others: another 1/16 of them).
 */
function syntheticSource(model: ModelName, scale: number, variant: number): TensorSource {
  const tuned = variant > 0;
  const tensors: SourceTensor[] = layout(model, scale).map((t) => ({
    ...t,
    dtype: 'F32',
    count: t.shape.reduce((a, b) => a * b, 1),
  }));
  const seeds = new Map(tensors.map((t, i) => [t.name, (i + 1) * 0x9e3779b1]));
  return {
    label: tuned ? `tuned ${variant}` : 'base',
    tensors,
    metadata: {},
    read(name, start, out) {
      const seed = seeds.get(name)!;
      const update = tuned && name.includes('.mlp.');
      for (let i = 0; i < out.length; i++) {
        let x = Math.imul((start + i) ^ seed, 0x85ebca6b);
        x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) ^ (x >>> 16);
        const u = (x >>> 0) / 4294967296;
        out[i] = (u - 0.5) * 0.1 + (update && (x & 15) === variant - 1 ? 0.01 * (u - 0.5) : 0);
      }
    },
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

const FOLDERS = ['base', 'tuned', 'tuned-2', 'tuned-3'];

/** The base and `tuned` tuned folders of a dtype (generated once, cached); returns their paths. */
function ensureFolders(model: ModelName, scale: number, dtype: SafetensorsDtype, tuned = 1): string[] {
  const dir = path.join(root, '.bench', `large-${model === '1.1b' ? '' : `${model}-`}${dtype}-${scale}`);
  const folders = FOLDERS.slice(0, 1 + tuned).map((name) => path.join(dir, name));
  mkdirSync(dir, { recursive: true });
  folders.forEach((folder, variant) => {
    if (existsSync(path.join(folder, 'model.safetensors.index.json'))) return;
    rmSync(folder, { recursive: true, force: true });
    const started = performance.now();
    writeSafetensorsFolder(folder, syntheticSource(model, scale, variant), {
      dtype,
      maxShardBytes: SHARD_BYTES,
    });
    console.log(
      `generated ${folder} (${(folderBytes(folder) / 1e9).toFixed(2)} GB) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  });
  return folders;
}

function readFolder(dir: string, buffer: Uint8Array): void {
  for (const file of readdirSync(dir)) {
    const fd = openSync(path.join(dir, file), 'r');
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
    closeSync(fd);
  }
}

/** Child measurements: print one JSON line { seconds, maxRssBytes, … }. */
function child(kind: string, a: string, b: string): void {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const extra: Record<string, number> = {};
  if (kind === 'floor') {
    const buffer = new Uint8Array(16 * 1024 * 1024);
    for (const dir of [a, b]) readFolder(dir, buffer);
  } else if (kind === 'ties-floor' || kind === 'ties') {
    // a: the dtype's folder of base and tuned folders; b: where the merged folder goes.
    const inputs = FOLDERS.map((name) => path.join(a, name));
    rmSync(b, { recursive: true, force: true });
    if (kind === 'ties-floor') {
      const buffer = new Uint8Array(16 * 1024 * 1024);
      for (const dir of inputs) readFolder(dir, buffer);
      mkdirSync(b);
      const fd = openSync(path.join(b, 'out.bin'), 'w');
      for (let left = folderBytes(inputs[0]!); left > 0; left -= buffer.length) {
        writeSync(fd, buffer, 0, Math.min(left, buffer.length));
      }
      closeSync(fd);
    } else {
      const [base, ...deltas] = inputs.map((dir) => openSafetensorsSource(dir));
      const merged = aggregatedSource({
        spec: { kind: 'ties', density: 0.2 },
        base: base!,
        deltas,
        merge: true,
      });
      writeSafetensorsFolder(b, merged, { maxShardBytes: SHARD_BYTES, chunkElements: merged.chunkElements });
      extra.peakBytesHeld = merged.peakBytesHeld();
      extra.params = merged.tensors.reduce((sum, t) => sum + t.count, 0);
    }
    rmSync(b, { recursive: true, force: true });
  } else if (kind === 'diff') {
    const sa = openSafetensorsSource(a);
    const sb = openSafetensorsSource(b);
    const diff = diffSources(sa, sb);
    extra.params = diff.model.count;
    extra.peakBytesHeld = diff.peakBytesHeld;
  } else {
    const db = path.join(path.dirname(a), 'import.deltascope');
    rmSync(db, { force: true });
    const store = createDatabase(db);
    const experiment = store.experiments.create({ name: 'bench' });
    const run = store.runs.create({
      experimentId: experiment.id,
      name: 'tuned',
      phase: 'imported',
      reward: { name: 'imported', collect: {} },
      seed: null,
    });
    const source = openSafetensorsSource(b);
    store.checkpoints.putFromSource(
      { runId: run.id, step: 0, label: 'tuned', provenance: { kind: 'import', description: b } },
      source,
    );
    store.close();
    extra.dbBytes = statSync(db).size;
    rmSync(db, { force: true });
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    JSON.stringify({ seconds, cpuSeconds, maxRssBytes: process.resourceUsage().maxRSS * 1024, ...extra }),
  );
}

function measure(kind: string, a: string, b: string): Record<string, number> {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', kind, a, b],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (result.status !== 0) throw new Error(`${kind} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

export function runLargeBench(argv: string[]): void {
  const scaleAt = argv.indexOf('--scale');
  const scale = scaleAt >= 0 ? Number(argv[scaleAt + 1]) : 1;
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  const onlyAt = argv.indexOf('--only');
  const dtypes = onlyAt >= 0 ? [argv[onlyAt + 1] as SafetensorsDtype] : (['BF16', 'F32'] as const);
  const ties = argv.includes('--ties');
  const modelAt = argv.indexOf('--model');
  const model = (modelAt >= 0 ? argv[modelAt + 1] : '1.1b') as ModelName;
  if (!(model in MODELS)) throw new Error(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
  for (const dtype of dtypes) {
    const [a, b] = ensureFolders(model, scale, dtype, ties ? 3 : 1) as [string, string];
    if (argv.includes('--generate-only')) continue;
    const floor = measure('floor', a, b);
    const diff = measure('diff', a, b);
    // (an import copies the tuned folder into a database: skipped where disk is short)
    const imported = argv.includes('--no-import') ? { seconds: NaN, dbBytes: NaN } : measure('import', a, b);
    const ratio = diff.seconds! / floor.seconds!;
    const cpuRatio = diff.cpuSeconds! / floor.cpuSeconds!;
    console.log(
      `${dtype}: ${(diff.params! / 1e9).toFixed(3)}B params, ${gib(folderBytes(a) + folderBytes(b))} read | ` +
        `floor ${floor.seconds!.toFixed(1)} s (${floor.cpuSeconds!.toFixed(1)} s CPU) | ` +
        `diff ${diff.seconds!.toFixed(1)} s (${diff.cpuSeconds!.toFixed(1)} s CPU; ${ratio.toFixed(2)}× floor, ` +
        `${cpuRatio.toFixed(2)}× in CPU time, goal ≤ 1.5×; ${((1e9 * diff.cpuSeconds!) / diff.params!).toFixed(1)} ns CPU per parameter pair), ` +
        `peak RSS ${gib(diff.maxRssBytes!)} (goal ≤ 1 GiB; chunks held ${gib(diff.peakBytesHeld!)}) | ` +
        (Number.isNaN(imported.seconds!)
          ? 'import not measured'
          : `import ${imported.seconds!.toFixed(1)} s, database ${gib(imported.dbBytes!)}`),
    );
    const dir = path.dirname(a);
    if (!ties) {
      if (argv.includes('--delete')) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    const out = path.join(dir, 'ties-merged');
    const tiesFloor = measure('ties-floor', dir, out);
    const merged = measure('ties', dir, out);
    console.log(
      `${dtype} TIES of 3 deltas merged into the base, written as a folder: ${merged.seconds!.toFixed(1)} s ` +
        `(${merged.cpuSeconds!.toFixed(1)} s CPU) vs floor (read 4 folders, write 1) ${tiesFloor.seconds!.toFixed(1)} s ` +
        `(${tiesFloor.cpuSeconds!.toFixed(1)} s CPU): ${(merged.seconds! / tiesFloor.seconds!).toFixed(2)}×, ` +
        `${(merged.cpuSeconds! / tiesFloor.cpuSeconds!).toFixed(2)}× in CPU time | peak RSS ${gib(merged.maxRssBytes!)} ` +
        `(held ${gib(merged.peakBytesHeld!)})`,
    );
    if (argv.includes('--delete')) rmSync(dir, { recursive: true, force: true });
  }
}

// Only as the entry script: bench-diff.ts imports this module and runs children of its own with `--child`.
const entry =
  process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (entry && process.argv[2] === '--child') child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
