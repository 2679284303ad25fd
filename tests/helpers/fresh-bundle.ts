import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve('.');

/** Newest modification time of the files under `dir` (recursively). */
function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    }),
  );
}

/** Oldest of the bundle files `files` in out/main, or 0 when one is missing. */
function bundleMtime(files: readonly string[]): number {
  try {
    return Math.min(...files.map((file) => statSync(join(root, 'out/main', file)).mtimeMs));
  } catch {
    return 0;
  }
}

/**
 * The CLI tests run the built command (bin → out/main): rebuilds the main-side bundle when any of
 * `files` is missing or older than the newest file under src-main.
 */
export async function ensureFreshBundle(files: readonly string[]): Promise<void> {
  if (bundleMtime(files) < newestMtime(join(root, 'src-main'))) {
    await promisify(execFile)(process.execPath, [join(root, 'scripts/build-main.mjs')], { cwd: root });
  }
}
