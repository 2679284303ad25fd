// Bundles every main-side entry point (Electron shell, preload, headless server, CLI, job and thread workers)
// into CommonJS files under out/main with esbuild. Native and heavyweight packages stay external.
// First it builds the optional native kernels (scripts/build-native.mjs: skipped when up to date,
// a warning when they cannot be built, an error only under DELTASCOPE_REQUIRE_BLAS=1). Paths are
// relative to the working directory (the repository root); a missing entry point is an error.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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

// A missing entry fails the build: skipping it would ship an app whose worker cannot start.
const missing = Object.entries(entries).filter(([, file]) => !existsSync(file));
if (missing.length > 0) {
  for (const [name, file] of missing) {
    console.error(
      `build-main: entry point "${name}" (${file}) does not exist in ${process.cwd()}; ` +
        'restore the file or update its path in scripts/build-main.mjs.',
    );
  }
  process.exit(1);
}

const native = spawnSync(process.execPath, [new URL('./build-native.mjs', import.meta.url).pathname], {
  stdio: 'inherit',
});
if (native.status !== 0) process.exit(native.status ?? 1);

await build({
  entryPoints: entries,
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
