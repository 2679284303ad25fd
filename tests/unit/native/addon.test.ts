import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addonCandidates, addonFunctions, probeAddon } from '../../../src-main/native/addon';

/** The one loader of the deltascope_blas addon (engine/native-blas.ts and weights/native-delta.ts). */

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deltascope-addon-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  delete process.env.DELTASCOPE_BLAS_ADDON;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the addon loader', () => {
  it('looks first where DELTASCOPE_BLAS_ADDON points, then next to the bundle, out/native, the gyp build', () => {
    process.env.DELTASCOPE_BLAS_ADDON = '/somewhere/deltascope_blas.node';
    const candidates = addonCandidates();
    expect(candidates[0]).toBe('/somewhere/deltascope_blas.node');
    expect(candidates.slice(-2)).toEqual([
      join(process.cwd(), 'out', 'native', 'deltascope_blas.node'),
      join(process.cwd(), 'native', 'blas', 'build', 'Release', 'deltascope_blas.node'),
    ]);
  });

  it('loads the file DELTASCOPE_BLAS_ADDON names and takes the functions a caller asks for', () => {
    const file = join(tempDir(), 'fake-addon.cjs');
    writeFileSync(file, 'module.exports = { deltaPass: () => 7, version: 3 };');
    process.env.DELTASCOPE_BLAS_ADDON = file;
    const probe = probeAddon();
    expect(probe.ok).toBe(true);
    if (!probe.ok) return;
    expect(probe.file).toBe(file);
    const { deltaPass } = addonFunctions<{ deltaPass: () => number }>(probe, ['deltaPass']);
    expect(deltaPass()).toBe(7);
    // an addon built from older sources: the missing functions named, with the file and the fix
    expect(() => addonFunctions<{ gemm: () => void; adam: () => void }>(probe, ['gemm', 'adam'])).toThrow(
      `${file} lacks gemm, adam (rebuild it: npm run build:main)`,
    );
  });

  it('a file that does not load is a reason, not a throw', () => {
    const file = join(tempDir(), 'deltascope_blas.node');
    writeFileSync(file, 'not a shared object');
    process.env.DELTASCOPE_BLAS_ADDON = file;
    const probe = probeAddon();
    expect(probe.ok).toBe(false);
    if (probe.ok) return;
    expect(probe.reason).toMatch(/deltascope_blas\.node|invalid ELF|not a valid|too short/i);
  });
});
