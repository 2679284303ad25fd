// Bundles every main-side entry point (Electron shell, preload, headless server, CLI, job and thread workers)
// into CommonJS files under out/main with esbuild. Native and heavyweight packages stay external.
// First it builds the optional native kernels (scripts/build-native.mjs: skipped when up to date,
// a warning when they cannot be built, an error only under DELTASCOPE_REQUIRE_BLAS=1).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const native = spawnSync(process.execPath, [new URL('./build-native.mjs', import.meta.url).pathname], {
  stdio: 'inherit',
});
if (native.status !== 0) process.exit(native.status ?? 1);

const entries = {
  'electron-main': 'src-main/electron/main.ts',
  preload: 'src-main/electron/preload.ts',
  'api-host': 'src-main/electron/api-host.ts',
  serve: 'src-main/server/serve.ts',
  cli: 'src-main/cli/index.ts',
  worker: 'src-main/jobs/worker.ts',
  'diff-worker': 'src-main/api/weights/weights-diff-worker.ts',
  'aggregate-worker': 'src-main/api/weights/weights-aggregate-worker.ts',
  'compute-worker': 'src-main/api/compute/compute-worker.ts',
  'protocol-worker': 'src-main/jobs/protocol/protocol-worker.ts',
  'ppo-update-worker': 'src-main/engine/ppo-update-worker.ts',
};

const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

await build({
  entryPoints,
  outdir: 'out/main',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // import.meta is only read behind a typeof __dirname guard, so its emptiness in CJS is expected.
  logOverride: { 'empty-import-meta': 'silent' },
  external: ['electron', 'better-sqlite3', '@tensorflow/*', 'bufferutil', 'utf-8-validate'],
});
