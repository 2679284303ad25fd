// Builds the native BLAS addon (native/blas) with node-gyp and copies it to
// out/native/deltascope_blas.node, where the engine looks for it (src-main/engine/native-blas.ts).
// The addon is optional: without a C compiler or Node's headers the engine keeps tfjs-wasm's own
// kernels, so a failed build prints why and exits 0 — unless DELTASCOPE_REQUIRE_BLAS=1 (CI sets it),
// where it fails, and compiles with -Werror so that a warning (an undeclared function, say) fails the
// build rather than leaving a call the next compiler rejects. Skipped when the built file is newer
// than the addon's sources.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const addonDir = path.join(root, 'native', 'blas');
const sources = [
  'binding.gyp',
  'src/deltascope_blas.c',
  'src/delta_stats.c',
  'src/delta_stats.h',
  'src/heatmap_pass.c',
  'src/heatmap_pass.h',
  'src/dtype_decode.h',
  'src/napi_args.h',
  'src/ties.c',
  'src/ties.h',
  'src/decode.c',
  'src/decode.h',
  'src/mapped_range.c',
  'src/mapped_range.h',
  'src/aggregate.c',
  'src/aggregate.h',
  'src/aggregate_common.h',
  'src/dare.c',
].map((file) => path.join(addonDir, file));
const target = path.join(root, 'out', 'native', 'deltascope_blas.node');
const required = process.env.DELTASCOPE_REQUIRE_BLAS === '1';

function fail(reason) {
  const message = `native BLAS addon not built: ${reason}. Training still works on tfjs-wasm's own (slower) kernels.`;
  if (required) {
    console.error(`error: ${message} (DELTASCOPE_REQUIRE_BLAS=1)`);
    process.exit(1);
  }
  console.warn(`warning: ${message}`);
  process.exit(0);
}

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((file) => file !== undefined && file !== '' && existsSync(file));
}

const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
if (existsSync(target) && statSync(target).mtimeMs >= newest) process.exit(0);

const gyp = nodeGyp();
if (gyp === undefined) fail('node-gyp was not found (it comes with npm)');
// Node's own headers, when npm has not said where they are (a run outside npm): node-gyp would
// otherwise try to download them.
const prefix = path.dirname(path.dirname(process.execPath));
const localHeaders = existsSync(path.join(prefix, 'include', 'node', 'node_api.h'));
const nodedir = process.env.npm_config_nodedir || !localHeaders ? [] : [`--nodedir=${prefix}`];
// gyp's Makefile appends $CFLAGS to the target's own flags (binding.gyp: -Wall -Wextra).
const cflags = required ? [process.env.CFLAGS, '-Werror'].filter(Boolean).join(' ') : process.env.CFLAGS;
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release', ...nodedir], {
  cwd: addonDir,
  encoding: 'utf8',
  env: { ...process.env, ...(cflags === undefined ? {} : { CFLAGS: cflags }) },
});
if (result.status !== 0) {
  // the compiler's own errors first (node-gyp's stack trace says only that make failed)
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n');
  const errors = output.filter((line) => /\berror\b/.test(line) && !line.startsWith('gyp ERR!'));
  const shown = errors.length > 0 ? errors.slice(0, 8) : output.filter(Boolean).slice(-8);
  fail(`node-gyp failed:\n${(shown.join('\n') || String(result.error)).trim()}`);
}
mkdirSync(path.dirname(target), { recursive: true });
// Copied beside it, then renamed over it: a process that has the old addon loaded (a training
// worker, a cluster task) keeps its mapping of the old file instead of dying of SIGBUS when the
// file it maps is rewritten in place.
const staged = `${target}.${process.pid}.tmp`;
copyFileSync(path.join(addonDir, 'build', 'Release', 'deltascope_blas.node'), staged);
renameSync(staged, target);
console.log(`built ${path.relative(root, target)}`);
