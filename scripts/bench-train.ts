/**
 * Training benchmark: the workload of shared/bench/reference_ppo.py (gridmaze PPO) on our engine.
 *
 *   npm run bench:train -- --mode throughput [--net cnn] [--iterations 6] [--vs-reference]
 *   npm run bench:train -- --mode solve --size 7 --max-steps 1000000 [--seed 2] [--vs-reference]
 *   add --update-workers 2 to compute each minibatch's gradient on two threads (ours only)
 *   add --threads 2 for two BLAS threads on both sides (ours: DELTASCOPE_BLAS_THREADS; the reference: its --threads)
 *
 * Prints progress lines, then one JSON line with the reference's fields (plus `backend`, `rss_mb_*`).
 * With --vs-reference the reference runs afterwards in the same process tree (not concurrently: the
 * machine has 2 cores) with the same arguments, and a last JSON line gives both results and the
 * ratios, oriented so that > 1 means we are faster (ours/ref for rates, ref/ours for times).
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '../src-main/engine/backend';
import { createGridMaze } from '../src-main/engine/gridmaze';
import { createNetwork, type NetworkKind } from '../src-main/engine/nn/network';
import { createPpoTrainer, type PpoTimings } from '../src-main/engine/ppo';
import { OBJECT_KINDS } from '../src-main/shared/gridmaze-config';
import type { RewardSpec } from '../src-main/shared/reward';

interface Args {
  mode: 'throughput' | 'solve';
  net: NetworkKind;
  size: number;
  numKinds: number;
  horizon: number;
  terminateOn: 'none' | 'any';
  view: 'global' | 'egocentric';
  loops: number;
  rewardWeights: string;
  seed: number;
  iterations: number;
  warmupIterations: number;
  target: number;
  successWindow: number;
  maxSteps: number;
  maxSeconds: number;
  curveEvery: number;
  numEnvs: number;
  numSteps: number;
  backend: BackendChoice | undefined;
  vsReference: boolean;
  profile: boolean;
  updateWorkers: number;
  threads: number;
}

const DEFAULTS: Args = {
  mode: 'throughput',
  net: 'mlp',
  size: 11,
  numKinds: 2,
  horizon: 64,
  terminateOn: 'none',
  view: 'global',
  loops: 0,
  rewardWeights: '1,0',
  seed: 1,
  iterations: 6,
  warmupIterations: 1,
  target: 0.9,
  successWindow: 1000,
  maxSteps: 3_000_000,
  maxSeconds: 0,
  curveEvery: 100_000,
  numEnvs: 64,
  numSteps: 128,
  backend: undefined,
  vsReference: false,
  profile: false,
  updateWorkers: 1,
  threads: 1,
};

/** Flags shared with reference_ppo.py, forwarded verbatim by --vs-reference. */
const SHARED_FLAGS = [
  'mode',
  'net',
  'size',
  'num-kinds',
  'horizon',
  'terminate-on',
  'view',
  'loops',
  'reward-weights',
  'seed',
  'iterations',
  'warmup-iterations',
  'target',
  'success-window',
  'max-steps',
  'max-seconds',
  'curve-every',
  'num-envs',
  'num-steps',
  'threads',
];

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function parseArgs(argv: string[]): { args: Args; forwarded: string[] } {
  const args: Record<string, unknown> = { ...DEFAULTS };
  const forwarded: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.replace(/^--/, '');
    if (flag === 'vs-reference' || flag === 'profile') {
      args[camel(flag)] = true;
      continue;
    }
    const key = camel(flag);
    if (!(key in DEFAULTS)) throw new Error(`unknown flag --${flag}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value`);
    args[key] = typeof DEFAULTS[key as keyof Args] === 'number' ? Number(value) : value;
    if (SHARED_FLAGS.includes(flag)) forwarded.push(`--${flag}`, value);
  }
  return { args: args as unknown as Args, forwarded };
}

const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

async function runOurs(args: Args): Promise<Record<string, unknown>> {
  process.env.DELTASCOPE_BLAS_THREADS = String(args.threads); // read when the native BLAS loads
  const backend = await initBackend(args.backend);
  const kinds = OBJECT_KINDS.slice(0, args.numKinds);
  const weights = args.rewardWeights.split(',').map(Number);
  const reward: RewardSpec = {
    name: 'train',
    collect: Object.fromEntries(kinds.map((k, i) => [k, weights[i] ?? 0])),
    stepCost: 0,
    reach: {},
  };
  const env = createGridMaze(
    {
      size: args.size,
      kinds: [...kinds],
      horizon: args.horizon,
      terminateOn: args.terminateOn,
      view: args.view,
      loops: args.loops,
    },
    [reward],
    { numEnvs: args.numEnvs, seed: args.seed },
  );
  const network = createNetwork(
    { kind: args.net, obsShape: env.obsShape, numActions: env.numActions },
    args.seed,
  );
  const batch = args.numEnvs * args.numSteps;
  const throughput = args.mode === 'throughput';
  const trainer = createPpoTrainer({
    env,
    network,
    config: {
      numEnvs: args.numEnvs,
      numSteps: args.numSteps,
      seed: args.seed,
      successWindow: args.successWindow,
      updateWorkers: args.updateWorkers,
      totalTimesteps: throughput
        ? (args.warmupIterations + args.iterations + (args.profile ? 1 : 0)) * batch
        : args.maxSteps,
    },
  });
  const tag = `[ours ${args.mode} ${args.net} S=${args.size} ${args.view} ${backend.label} ×${args.updateWorkers}]`;
  const successes: number[] = [];
  const timings: PpoTimings[] = [];
  const curve: [number, number][] = [];
  let nextCurve = args.curveEvery;
  let reached = false;
  let rssStart = rssMb();
  const start = performance.now();
  const iterations = trainer.numIterations - (throughput && args.profile ? 1 : 0);
  for (let it = 1; it <= iterations; it++) {
    const result = trainer.iterate();
    for (const e of result.episodes) {
      successes.push(e.success.train ? 1 : 0);
      if (successes.length > args.successWindow) successes.shift();
    }
    const success = successes.length ? successes.reduce((a, b) => a + b, 0) / successes.length : 0;
    const m = result.metrics;
    const t = result.timings;
    const warm = throughput && it <= args.warmupIterations;
    console.log(
      `${tag} it ${it}/${trainer.numIterations} steps ${result.globalStep} sps ${Math.round(batch / (t.iterationMs / 1000))} ` +
        `success ${success.toFixed(3)} (n=${successes.length}) | pg ${m['losses/policy_loss']?.toFixed(4)} ` +
        `v ${m['losses/value_loss']?.toFixed(4)} ent ${m['losses/entropy']?.toFixed(3)} kl ${m['losses/approx_kl']?.toFixed(4)} | ` +
        `rollout ${t.rolloutMs.toFixed(0)} (env ${t.envMs.toFixed(0)}) gae ${t.gaeMs.toFixed(0)} update ${t.updateMs.toFixed(0)} ms ` +
        `rss ${rssMb()} MB${warm ? ' (warm-up)' : ''}`,
    );
    if (throughput) {
      if (warm) rssStart = rssMb();
      else timings.push(t);
      continue;
    }
    if (result.globalStep >= nextCurve) {
      curve.push([result.globalStep, round(success, 4)]);
      nextCurve += args.curveEvery;
    }
    reached = successes.length >= args.successWindow && success >= args.target;
    const outOfTime = args.maxSeconds > 0 && (performance.now() - start) / 1000 >= args.maxSeconds;
    if (reached || outOfTime) break;
  }
  if (throughput && args.profile) {
    await profileIteration(
      () => trainer.iterate(),
      args.numSteps,
      trainer.config.updateEpochs * trainer.config.numMinibatches,
    );
  }
  trainer.dispose();
  const info = {
    net: args.net,
    update_workers: args.updateWorkers,
    size: args.size,
    view: args.view,
    terminate_on: args.terminateOn,
    loops: args.loops,
    backend: backend.name,
    simd: backend.simd,
    wasm_threads: backend.threads,
    blas: backend.blas,
    threads: backend.blas === null ? 1 : args.threads,
    rss_mb_start: rssStart,
    rss_mb_end: rssMb(),
  };
  if (throughput) {
    const k = timings.length;
    const sum = (f: (t: PpoTimings) => number): number => timings.reduce((a, t) => a + f(t), 0);
    const total = sum((t) => t.iterationMs);
    const perIteration = trainer.config.updateEpochs * trainer.config.numMinibatches;
    const minibatches = k * perIteration;
    return {
      mode: 'throughput',
      ...info,
      env_steps_per_s: round((k * batch) / (total / 1000), 1),
      update_ms_per_minibatch: round(sum((t) => t.updateMs) / minibatches, 3),
      rollout_ms_per_iteration: round(sum((t) => t.rolloutMs) / k, 1),
      env_ms_per_iteration: round(sum((t) => t.envMs) / k, 1),
      gae_ms_per_iteration: round(sum((t) => t.gaeMs) / k, 1),
      update_ms_per_iteration: round(sum((t) => t.updateMs) / k, 1),
      iteration_ms: round(total / k, 1),
      timed_iterations: k,
      batch,
      minibatch: batch / trainer.config.numMinibatches,
    };
  }
  const success = successes.length ? successes.reduce((a, b) => a + b, 0) / successes.length : 0;
  const steps = curve.length ? curve[curve.length - 1]![0] : 0;
  const globalStep = trainer.state().globalStep;
  if (steps !== globalStep) curve.push([globalStep, round(success, 4)]);
  return {
    mode: 'solve',
    ...info,
    reached,
    env_steps: globalStep,
    seconds: round((performance.now() - start) / 1000, 1),
    final_success: round(success, 4),
    target: args.target,
    episodes_in_window: successes.length,
    curve,
  };
}

/**
 * Kernel-level profile of one more iteration (tf.profile): per kernel, calls and total ms, per
 * rollout step and per minibatch. Kernels launched inside our custom-gradient ops appear both under
 * their own name and inside the enclosing 'forward' entry, so 'forward' double-counts.
 */
async function profileIteration(iterate: () => void, steps: number, minibatches: number): Promise<void> {
  const start = performance.now();
  const info = await tf.profile(() => {
    iterate();
  });
  const wallMs = performance.now() - start;
  const byName = new Map<string, { calls: number; ms: number }>();
  for (const k of info.kernels) {
    const entry = byName.get(k.name) ?? { calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byName.set(k.name, entry);
  }
  const rows = [...byName].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.filter(([name]) => name !== 'forward').reduce((s, [, e]) => s + e.ms, 0);
  console.log(
    `[profile] one iteration: wall ${wallMs.toFixed(0)} ms (profiling adds overhead), ${info.kernels.length} kernel calls ` +
      `(${(info.kernels.length / (steps + minibatches)).toFixed(1)} per step-or-minibatch), kernel time ${kernelMs.toFixed(0)} ms`,
  );
  for (const [name, e] of rows.slice(0, 20)) {
    console.log(
      `[profile]   ${name.padEnd(24)} calls ${String(e.calls).padStart(6)}  ms ${e.ms.toFixed(1).padStart(8)}`,
    );
  }
}

const PYTHON = '/usr/bin/python3';

function ensureTorch(): void {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.error('[bench] installing python3-torch python3-numpy libopenblas0-pthread with apt-get');
    execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
    execFileSync(
      'apt-get',
      ['install', '-y', '-q', 'python3-torch', 'python3-numpy', 'libopenblas0-pthread'],
      {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
  }
}

/** Runs the reference with the same flags; echoes its progress lines and returns its final JSON. */
function runReference(forwarded: string[]): Promise<Record<string, unknown>> {
  ensureTorch();
  const script = path.resolve(process.cwd(), '../shared/bench/reference_ppo.py');
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...forwarded], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last = '';
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        console.log(`[reference] ${line.length > 400 ? line.slice(0, 400) + '…' : line}`);
        last = line;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (buffered.trim() !== '') last = buffered;
      if (code !== 0) reject(new Error(`reference_ppo.py exited with ${code}`));
      else resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

function ratios(ours: Record<string, unknown>, ref: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const rate = ['env_steps_per_s'];
  const time = [
    'update_ms_per_minibatch',
    'rollout_ms_per_iteration',
    'env_ms_per_iteration',
    'gae_ms_per_iteration',
    'update_ms_per_iteration',
    'iteration_ms',
    'seconds',
  ];
  for (const key of [...rate, ...time]) {
    const a = ours[key];
    const b = ref[key];
    if (typeof a !== 'number' || typeof b !== 'number' || a === 0 || b === 0) continue;
    out[key] = round(rate.includes(key) ? a / b : b / a, 3);
  }
  return out;
}

const { args, forwarded } = parseArgs(process.argv.slice(2));
const ours = await runOurs(args);
console.log(JSON.stringify(ours));
if (args.vsReference) {
  const reference = await runReference(forwarded);
  console.log(
    JSON.stringify({
      mode: args.mode,
      ours,
      reference,
      ratios_ours_speed_over_reference: ratios(ours, reference),
    }),
  );
}
