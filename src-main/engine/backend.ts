import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DeltascopeError } from '../shared/errors';
import { blasAddon, blasLabel, installBlasKernels, uninstallBlasKernels } from './native-blas';
import { setAdamKernels, setWasmKernelsNative } from './nn/kernel-caps';

/**
 * Picks the TensorFlow.js backend at run time: tfjs-node-gpu → tfjs-node → wasm → cpu, or the one
 * named by `DELTASCOPE_BACKEND`. The native packages are optional dependencies that often cannot
 * install (their install step downloads libtensorflow), so they are loaded by a dynamic import and
 * their absence is normal. The 'cpu' backend is 20–200× slower than wasm: use it as a numerical
 * reference, not for training.
 */

export const BACKEND_CHOICES = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  /** Our name for the backend (one of BACKEND_CHOICES). */
  name: BackendChoice;
  /** Whether SIMD kernels run (wasm: the SIMD build loaded; native: always). */
  simd: boolean;
  /** Whether kernels may use several threads (wasm in Node: no). */
  threads: boolean;
  /** The native BLAS computing wasm's matMul and conv2d kernels (see native-blas.ts), e.g. "OpenBLAS Haswell"; null when none. */
  blas: string | null;
  /** What runs and evaluations record: the name, plus the BLAS when one is in use ("wasm+OpenBLAS Haswell"). */
  label: string;
}

export interface InitBackendOptions {
  /** Folder holding the tfjs-backend-wasm `.wasm` files; default `DELTASCOPE_WASM_DIR` or the package's dist folder. */
  wasmDir?: string;
}

/** tfjs's registered name of each choice. */
const TF_NAMES: Record<BackendChoice, string> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const NATIVE_PACKAGES: Partial<Record<BackendChoice, string>> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let active: BackendInfo | null = null;
let wasmPathsSet = false;

function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

/**
 * A `require` for resolving package files: the real one in the esbuild CJS bundle (out/main, the
 * packaged app); in ESM runs (tsx, vitest: started from the project root) one rooted at the working
 * directory. (`import.meta.url` would work in ESM but makes esbuild warn when bundling to CJS.)
 */
function nodeRequire(): NodeJS.Require {
  return typeof require === 'function' ? require : createRequire(path.join(process.cwd(), 'index.js'));
}

/** The wasm files' folder: explicit > env > the installed package (its app.asar.unpacked twin when packaged). */
export function resolveWasmDir(explicit?: string): string {
  const chosen = explicit ?? process.env.DELTASCOPE_WASM_DIR;
  if (chosen !== undefined && chosen !== '') return chosen.endsWith(path.sep) ? chosen : chosen + path.sep;
  const pkg = nodeRequire().resolve('@tensorflow/tfjs-backend-wasm/package.json');
  const dist = path.join(path.dirname(pkg), 'dist') + path.sep;
  return dist.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
}

async function tryNative(choice: BackendChoice): Promise<boolean> {
  const pkg = NATIVE_PACKAGES[choice];
  if (pkg === undefined) return false;
  try {
    await import(/* @vite-ignore */ pkg);
  } catch {
    return false;
  }
  return tf.findBackend(TF_NAMES[choice]) !== null && (await tf.setBackend(TF_NAMES[choice]));
}

async function tryWasm(wasmDir: string | undefined): Promise<boolean> {
  if (!wasmPathsSet) {
    setWasmPaths(resolveWasmDir(wasmDir));
    wasmPathsSet = true;
  }
  try {
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

async function trySet(choice: BackendChoice, options: InitBackendOptions): Promise<boolean> {
  if (choice === 'wasm') return tryWasm(options.wasmDir);
  if (choice === 'cpu') return tf.setBackend('cpu');
  return tryNative(choice);
}

/** The wasm backend's description, with (when `nativeBlas` and it loads) the BLAS kernels installed. */
function describeWasm(nativeBlas: boolean): BackendInfo {
  const blasInfo = nativeBlas ? installBlasKernels() : null;
  const blas = blasInfo === null ? null : blasLabel(blasInfo);
  setWasmKernelsNative(blas !== null);
  setAdamKernels(blas === null ? null : blasAddon());
  return {
    name: 'wasm',
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
    blas,
    label: blas === null ? 'wasm' : `wasm+${blas}`,
  };
}

function describe(choice: BackendChoice): BackendInfo {
  if (choice === 'wasm') return describeWasm(true);
  return { name: choice, simd: choice !== 'cpu', threads: choice !== 'cpu', blas: null, label: choice };
}

/**
 * Activates a backend and returns what it is. `preferred` (or env `DELTASCOPE_BACKEND`) forces one
 * choice and fails with BACKEND_UNAVAILABLE if it cannot load; otherwise the first that loads wins.
 */
/** The backend activation under way, if any. */
let pending: Promise<BackendInfo> | null = null;

export async function initBackend(
  preferred?: BackendChoice,
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const fromEnv = process.env.DELTASCOPE_BACKEND;
  if (preferred === undefined && fromEnv !== undefined && fromEnv !== '' && !isBackendChoice(fromEnv)) {
    throw new DeltascopeError(
      'BACKEND_UNAVAILABLE',
      `DELTASCOPE_BACKEND is "${fromEnv}"; expected one of ${BACKEND_CHOICES.join(', ')}`,
    );
  }
  const forced = preferred ?? (fromEnv !== undefined && isBackendChoice(fromEnv) ? fromEnv : undefined);
  if (
    active !== null &&
    (forced === undefined || forced === active.name) &&
    tf.getBackend() === TF_NAMES[active.name]
  ) {
    return active;
  }
  // Two first calls at once (the agent viewer records two checkpoints' episodes together) would both
  // register the backend, and the second failed inside tfjs; the later one waits for the first.
  if (pending !== null) {
    await pending.catch(() => undefined);
    return initBackend(preferred, options);
  }
  pending = activate(forced, options).finally(() => {
    pending = null;
  });
  return pending;
}

/** Loads the first backend of the chain that loads. */
async function activate(
  forced: BackendChoice | undefined,
  options: InitBackendOptions,
): Promise<BackendInfo> {
  const chain = forced === undefined ? BACKEND_CHOICES : [forced];
  for (const choice of chain) {
    if (await trySet(choice, options)) {
      await tf.ready();
      active = describe(choice);
      return active;
    }
  }
  throw new DeltascopeError(
    'BACKEND_UNAVAILABLE',
    forced === undefined
      ? 'no TensorFlow.js backend could be loaded (tried node-gpu, node, wasm, cpu)'
      : `the TensorFlow.js backend "${forced}" could not be loaded` +
          (forced.startsWith('node') ? ` (is ${NATIVE_PACKAGES[forced]} installed?)` : ''),
  );
}

/**
 * Switches the wasm backend's matMul/conv kernels between the native BLAS (when it loads) and
 * tfjs-wasm's own, e.g. to compare the two; returns the updated backend info. Needs wasm active.
 */
export function setNativeBlas(enabled: boolean): BackendInfo {
  if (active?.name !== 'wasm' || tf.getBackend() !== 'wasm') {
    throw new DeltascopeError('BACKEND_UNAVAILABLE', 'setNativeBlas needs the wasm backend to be active');
  }
  if (!enabled) uninstallBlasKernels();
  active = describeWasm(enabled);
  return active;
}

/** The backend set by the last initBackend call, or null before any. */
export function activeBackend(): BackendInfo | null {
  return active;
}
