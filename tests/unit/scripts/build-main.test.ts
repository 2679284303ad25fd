import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../helpers/temp-dir';

const SCRIPT = resolve(__dirname, '../../../scripts/build-main.mjs');
const temp = makeTempDir('build-main');
afterAll(() => temp.cleanup());

/** Runs scripts/build-main.mjs with `cwd` as the tree to bundle. */
function buildIn(cwd: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr };
}

const entryPaths = (stderr: string): string[] =>
  [...stderr.matchAll(/\((src-main\/[^)]+\.ts)\)/g)].map((m) => m[1]!);

describe('scripts/build-main.mjs', () => {
  it('fails, naming each missing entry point, instead of bundling without it', () => {
    const empty = join(temp.dir, 'empty');
    mkdirSync(empty);
    const all = buildIn(empty);
    expect(all.status).toBe(1);
    const paths = entryPaths(all.stderr);
    expect(paths).toContain('src-main/jobs/worker.ts');
    expect(paths).toContain('src-main/jobs/protocol/protocol-worker.ts');
    expect(all.stderr).toMatch(/entry point "worker" \(src-main\/jobs\/worker\.ts\) does not exist/);

    // Every entry present but one: the message names just that one, and nothing is bundled.
    const tree = join(temp.dir, 'tree');
    const gone = 'src-main/engine/ppo-update-worker.ts';
    for (const path of paths.filter((p) => p !== gone)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), 'export {};\n');
    }
    const one = buildIn(tree);
    expect(one.status).toBe(1);
    expect(entryPaths(one.stderr)).toEqual([gone]);
    expect(one.stderr).toContain('"ppo-update-worker"');
    expect(existsSync(join(tree, 'out'))).toBe(false);
  });

  it('finds every entry point in this repository', () => {
    const repo = resolve(__dirname, '../../..');
    const missing = entryPaths(buildIn(join(temp.dir, 'empty')).stderr).filter(
      (p) => !existsSync(join(repo, p)),
    );
    expect(missing).toEqual([]);
  });
});
