import { ensureFreshBundle } from './fresh-bundle';

/**
 * Global setup of the integration project: the tests launch the bundled training worker, worker
 * threads (DELTASCOPE_WORKER_DIR, see vitest.config.ts) and the CLI from out/main, so the bundle is
 * rebuilt once, before any test file runs, when src-main is newer.
 */
export default async function setup(): Promise<void> {
  await ensureFreshBundle([
    'cli.cjs',
    'worker.cjs',
    'protocol-worker.cjs',
    'compute-worker.cjs',
    'diff-worker.cjs',
    'aggregate-worker.cjs',
  ]);
}
