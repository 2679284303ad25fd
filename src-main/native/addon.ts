import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The one probe for the `deltascope_blas` N-API addon (native/blas, built into out/native/ by
 * `npm install` when a C compiler is present). Three modules use it: engine/native-blas.ts (BLAS and
 * convolution kernels for tfjs-wasm, Adam's loops), weights/native-delta.ts (the diff pass and the
 * TIES kernels) and weights/native-heatmap.ts (the heatmap's pooling pass). All find the same file
 * the same way, so a setting that points at an addon (`DELTASCOPE_BLAS_ADDON`) or a packaged app's
 * unpacked copy reaches all three.
 *
 * Nothing is cached here: each caller keeps what it loaded, and a test that changes
 * `DELTASCOPE_BLAS_ADDON` gets the new file on the next probe (Node's own cache makes a repeated
 * require of one file free).
 */

export const ADDON_FILE = 'deltascope_blas.node';

/** Where the built addon may be: env override, next to the bundle (out/native), the source tree. */
export function addonCandidates(): string[] {
  const explicit = process.env.DELTASCOPE_BLAS_ADDON;
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const bundled = path.join(here, '..', 'native', ADDON_FILE);
  return [
    ...(explicit !== undefined && explicit !== '' ? [explicit] : []),
    bundled.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`),
    path.join(process.cwd(), 'out', 'native', ADDON_FILE),
    path.join(process.cwd(), 'native', 'blas', 'build', 'Release', ADDON_FILE),
  ];
}

/** The addon's exports and the file they came from, or why there are none. */
export type AddonProbe =
  { ok: true; file: string; exports: Record<string, unknown> } | { ok: false; reason: string };

/** Finds and loads the addon (the first candidate that exists). Never throws. */
export function probeAddon(): AddonProbe {
  const file = addonCandidates().find((candidate) => existsSync(candidate));
  if (file === undefined) {
    return {
      ok: false,
      reason: `the ${ADDON_FILE} addon is not built (npm install builds it when a C compiler is present)`,
    };
  }
  try {
    return { ok: true, file, exports: createRequire(file)(file) as Record<string, unknown> };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The names among `names` that the addon does not export as functions (an addon built from older sources). */
export function missingFunctions(exports: Record<string, unknown>, names: readonly string[]): string[] {
  return names.filter((name) => typeof exports[name] !== 'function');
}

/**
 * The named functions as a plain object (the module's own properties are read-only, so tests could
 * not spy on them). Throws naming the file and what it lacks.
 */
export function addonFunctions<T>(
  probe: { file: string; exports: Record<string, unknown> },
  names: readonly (keyof T & string)[],
): T {
  const missing = missingFunctions(probe.exports, names);
  if (missing.length > 0)
    throw new Error(`${probe.file} lacks ${missing.join(', ')} (rebuild it: npm run build:main)`);
  return Object.fromEntries(names.map((name) => [name, probe.exports[name]])) as T;
}
