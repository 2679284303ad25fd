import { totalmem } from 'node:os';
import { estimatePpoMemory, WASM_HEAP_LIMIT_BYTES, type PpoMemoryShape } from '../engine/ppo-memory';
import { DeltascopeError } from '../shared/errors';
import { formatBytes } from '../weights';

/**
 * Refuses, before anything is created, a training shape whose estimated memory (engine/ppo-memory.ts)
 * does not fit the budget: half of this machine's memory, or DELTASCOPE_MEMORY_BUDGET (bytes). The
 * refusal names the spec fields that make it large, the estimate and the budget.
 */

export const MEMORY_BUDGET_ENV = 'DELTASCOPE_MEMORY_BUDGET';

export interface MemoryBudget {
  bytes: number;
  /** How the budget was set, for the message. */
  source: string;
}

/** DELTASCOPE_MEMORY_BUDGET if set (bytes, e.g. `8e9`), else half of os.totalmem(). */
export function memoryBudget(env: NodeJS.ProcessEnv = process.env, machineBytes = totalmem()): MemoryBudget {
  const raw = env[MEMORY_BUDGET_ENV];
  if (raw !== undefined && raw.trim() !== '') {
    const bytes = Number(raw);
    if (!Number.isFinite(bytes) || bytes <= 0) {
      throw new DeltascopeError(
        'INVALID_SPEC',
        `${MEMORY_BUDGET_ENV} must be a positive number of bytes; got "${raw}"`,
      );
    }
    return { bytes, source: `${MEMORY_BUDGET_ENV}=${raw}` };
  }
  return {
    bytes: machineBytes / 2,
    source: `half of this machine's ${formatBytes(machineBytes)}; set ${MEMORY_BUDGET_ENV}=<bytes> to change it`,
  };
}

export interface MemoryIssue {
  /** The spec field to change, relative to the spec (e.g. ['ppo', 'numSteps']). */
  path: (string | number)[];
  message: string;
}

/**
 * The memory problem of a training shape, or null if it fits: `concurrent` trainings of it at once
 * (a protocol runs several) must fit the budget, and one minibatch pass the 4 GiB wasm heap.
 */
export function memoryIssue(
  shape: PpoMemoryShape,
  budget: MemoryBudget = memoryBudget(),
  concurrent = 1,
): MemoryIssue | null {
  const e = estimatePpoMemory(shape);
  const rows = `ppo.numEnvs × ppo.numSteps = ${e.batchRows.toLocaleString('en-US')} env steps of ${e.obsSize} observation floats`;
  if (e.wasmHeapBytes > WASM_HEAP_LIMIT_BYTES) {
    return {
      path: ['ppo', 'numMinibatches'],
      message:
        `one minibatch of ${e.minibatchRows.toLocaleString('en-US')} rows (${rows}, / ppo.numMinibatches = ${shape.ppo.numMinibatches}) ` +
        `needs an estimated ${formatBytes(e.wasmHeapBytes)} of tensors, over the ${formatBytes(WASM_HEAP_LIMIT_BYTES)} the wasm backend can hold; ` +
        'raise ppo.numMinibatches or lower ppo.numEnvs, ppo.numSteps or the network size',
    };
  }
  const total = e.totalBytes * concurrent;
  if (total <= budget.bytes) return null;
  const parts: [number, (string | number)[], string, string][] = [
    [
      e.rolloutBytes,
      ['ppo', 'numSteps'],
      `rollout buffers ${formatBytes(e.rolloutBytes)} (${rows})`,
      'lower ppo.numEnvs or ppo.numSteps (or env.size)',
    ],
    [
      e.minibatchBytes,
      ['ppo', 'numMinibatches'],
      `minibatch passes ${formatBytes(e.minibatchBytes)} (${e.minibatchRows.toLocaleString('en-US')} rows)`,
      'raise ppo.numMinibatches',
    ],
    [
      e.networkBytes,
      ['net'],
      `network, gradients and Adam moments ${formatBytes(e.networkBytes)} (${e.paramCount.toLocaleString('en-US')} parameters)`,
      'make net smaller',
    ],
    [
      e.envBytes,
      ['ppo', 'numEnvs'],
      `per-env state ${formatBytes(e.envBytes)} (ppo.numEnvs = ${shape.ppo.numEnvs})`,
      'lower ppo.numEnvs',
    ],
  ];
  parts.sort((a, b) => b[0] - a[0]);
  const [, path, , advice] = parts[0]!;
  const times = concurrent > 1 ? `${concurrent} trainings at once × ` : '';
  return {
    path,
    message:
      `training needs an estimated ${times}${formatBytes(e.totalBytes)} of memory — ${parts.map((p) => p[2]).join(', ')} — ` +
      `which does not fit the memory budget of ${formatBytes(budget.bytes)} (${budget.source}); ${advice}`,
  };
}

/** Throws INVALID_SPEC `<root>.<field>: <message>` when the shape does not fit (see memoryIssue). */
export function checkTrainingMemory(
  shape: PpoMemoryShape,
  root = 'spec',
  budget: MemoryBudget = memoryBudget(),
  concurrent = 1,
): void {
  const issue = memoryIssue(shape, budget, concurrent);
  if (issue === null) return;
  const where = [root, ...issue.path.map(String)].join('.');
  throw new DeltascopeError('INVALID_SPEC', `${where}: ${issue.message}`, { path: where });
}
