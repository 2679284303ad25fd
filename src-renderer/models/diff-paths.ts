import type { CheckpointRef } from '@shared/contract-weights';

/**
 * Two model files or folders as the sides of a diff: the one capability behind the browser's path
 * fields and the desktop app's drop of two files or folders on the window (the shell only hands over
 * their paths). The first path is A (the base), the second B: Δ = B − A. Whether a path holds a model
 * is the main side's to say (diff.compute names a missing file or a folder without a model).
 */
export type DiffPaths =
  { ok: true; a: CheckpointRef; b: CheckpointRef } | { ok: false; message: string; field: 'a' | 'b' | null };

const WHAT =
  'a .safetensors file, a Hugging Face model folder (model.safetensors.index.json with its shards, or model.safetensors), or a tfjs model.json';

/** Validates the paths as typed or dropped: exactly two, neither empty, not the same one twice. */
export function diffPaths(paths: readonly string[]): DiffPaths {
  if (paths.length !== 2) {
    return {
      ok: false,
      field: null,
      message:
        paths.length < 2
          ? `Give two models to diff (${paths.length} given): A, the base, and B.`
          : `Give exactly two models to diff (${paths.length} given): A, the base, and B.`,
    };
  }
  const [a, b] = paths.map((p) => p.trim()) as [string, string];
  if (a === '') return { ok: false, field: 'a', message: `Type the path of A: ${WHAT}.` };
  if (b === '') return { ok: false, field: 'b', message: `Type the path of B: ${WHAT}.` };
  if (normalise(a) === normalise(b))
    return { ok: false, field: 'b', message: `A and B are the same path (${a}); give two different models.` };
  return { ok: true, a: { file: a }, b: { file: b } };
}

/** Trailing separators and `./` segments do not make a different path. */
function normalise(path: string): string {
  return path
    .replace(/[\\/]+$/, '')
    .replace(/([\\/])\.(?=[\\/])/g, '')
    .replace(/[\\/]+/g, '/');
}
