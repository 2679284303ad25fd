import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffComputeResult } from '../../../src-main/shared/contract-weights';
import { openDatabase } from '../../../src-main/store';
import { tensorMapFromTensors, writeSafetensors } from '../../../src-main/weights';
import { ensureFreshBundle } from '../../helpers/fresh-bundle';
import { deltascope, deltascopeProcess } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';
import { weightsService, writeWeightsDatabase, type WeightsFixture } from '../api/weights-test-helpers';

const temp = makeTempDir('cli-weights');
let fixture: WeightsFixture;

/** The built `deltascope` command (bin → out/main/cli.cjs) in its own process. */
const deltascopeBin = deltascopeProcess({ home: temp.dir });

function checkpointCount(): number {
  const db = openDatabase(fixture.path);
  try {
    return db.info(false).counts.checkpoints;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  fixture = writeWeightsDatabase(temp.dir);
  // The bin runs the bundle in out/main; rebuild it when the sources are newer.
  await ensureFreshBundle(['cli.cjs', 'diff-worker.cjs']);
});
afterAll(() => temp.cleanup());

describe('deltascope diff', () => {
  it('is listed with --help', async () => {
    const listed = await deltascope('--help');
    for (const name of ['import', 'export', 'diff', 'combine'])
      expect(listed.stdout).toMatch(new RegExp(`\\n  ${name}\\s`));
    const { code, stdout } = await deltascope('diff', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: deltascope diff <a> <b>');
  });

  it('prints a per-tensor table with totals for two checkpoints (12 or #12)', async () => {
    const { code, stdout } = await deltascope(
      'diff',
      String(fixture.a),
      `#${fixture.b}`,
      '--db',
      fixture.path,
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`A: checkpoint ${fixture.a} "A" (run base, step 0)`);
    const lines = stdout.split('\n');
    const conv = lines.find((l) => l.startsWith('conv.kernel'))!;
    expect(conv).toMatch(/\[2,2,3,5\]\s+60\s+6\.000\s/);
    const total = lines.find((l) => l.startsWith('total'))!;
    expect(total).toMatch(/3 tensors\s+76\s+6\.190\s/); // ‖Δ‖ = √38.3125
  });

  it('prints the full result with --json and honours --epsilon', async () => {
    const { code, stdout } = await deltascope(
      'diff',
      `${fixture.a}`,
      `${fixture.b}`,
      '--db',
      fixture.path,
      '--json',
      '--epsilon',
      '0.6',
    );
    expect(code).toBe(0);
    const diff = JSON.parse(stdout) as DiffComputeResult;
    expect(diff.model.aboveEpsilon).toBe(3);
    expect(diff.model.histogram.counts).toHaveLength(64);
  });

  it('fails with exit code 1 listing mismatched tensors, and diffs the shared ones with --partial', async () => {
    const failed = await deltascope('diff', `${fixture.a}`, `${fixture.c}`, '--db', fixture.path);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('`head.bias` only in checkpoint');
    const partial = await deltascope(
      'diff',
      `${fixture.a}`,
      `${fixture.c}`,
      '--db',
      fixture.path,
      '--partial',
    );
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain('Skipped 3 tensors (--partial):');
  });

  it('diffs a stored relevance map (map:<id>) against a checkpoint; a malformed map name is a usage error', async () => {
    const api = weightsService(temp.dir, fixture.path);
    let mapId: number;
    try {
      const made = await api.call('weights.aggregate', {
        base: fixture.a,
        deltas: [fixture.b],
        aggregator: { kind: 'mean' },
      });
      mapId = made.artifactId;
    } finally {
      api.service.dispose();
    }
    const { code, stdout, stderr } = await deltascope(
      'diff',
      `map:${mapId}`,
      `#${fixture.a}`,
      '--db',
      fixture.path,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(new RegExp(`^A: .*${mapId}`));
    expect(stdout).toContain(`B: checkpoint ${fixture.a} "A"`);
    expect(stdout).toMatch(/\ntotal\s+3 tensors\s+76\s/);
    // `deltascope info` lists the map under the name diff takes
    const info = await deltascope('info', fixture.path);
    expect(info.stdout).toMatch(new RegExp(`\\n {2,4}relevance map map:${mapId} \\S`));
    const json = JSON.parse((await deltascope('info', fixture.path, '--json')).stdout) as {
      relevanceMaps: { ref: string }[];
    };
    expect(json.relevanceMaps.map((m) => m.ref)).toContain(`map:${mapId}`);
    const bad = await deltascope('diff', 'map:x', `#${fixture.a}`, '--db', fixture.path);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('a relevance map is named map:<id>, e.g. map:5; got "map:x"');
    const missing = await deltascope('diff', 'map:999', `#${fixture.a}`, '--db', fixture.path);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/999/);
  });

  it('exits 2 on a usage mistake', async () => {
    const { code, stderr } = await deltascope('diff', '12');
    expect(code).toBe(2);
    expect(stderr).toContain('diff needs two checkpoints or model files');
  });

  it('diffs two large model files in a worker thread of the built command', async () => {
    const size = 1024 * 2048; // 2 097 152 params: above the worker threshold
    const a = new Float32Array(size);
    const b = new Float32Array(size);
    for (let i = 0; i < 16; i++) b[i * 1000] = 0.5;
    const write = (name: string, data: Float32Array) => {
      const path = join(temp.dir, name);
      writeFileSync(
        path,
        writeSafetensors(tensorMapFromTensors([{ name: 'big.kernel', shape: [1024, 2048], data }])),
      );
      return path;
    };
    const { code, stdout, stderr } = await deltascopeBin(
      'diff',
      write('big-a.safetensors', a),
      write('big-b.safetensors', b),
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const diff = JSON.parse(stdout) as DiffComputeResult;
    expect(diff.jobId).not.toBeNull();
    expect(diff.model).toMatchObject({ count: size, aboveEpsilon: 16, maxAbs: 0.5, l2: 2 });
  });
});

describe('deltascope import, combine and export', () => {
  it('imports an exported file and prints the new id; a broken file fails and writes nothing', async () => {
    const file = join(temp.dir, 'agent.safetensors');
    const exported = await deltascope('export', `${fixture.b}`, file, '--db', fixture.path);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(file);
    const again = await deltascope('export', `${fixture.b}`, file, '--db', fixture.path);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    const before = checkpointCount();
    const imported = await deltascope('import', file, '--db', fixture.path);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^\d+$/);
    expect(checkpointCount()).toBe(before + 1);
    const diff = await deltascope('diff', `${fixture.b}`, imported.stdout, '--db', fixture.path, '--json');
    expect((JSON.parse(diff.stdout) as DiffComputeResult).model.l2).toBe(0);

    const broken = join(temp.dir, 'broken.safetensors');
    writeFileSync(broken, new Uint8Array([1, 2, 3]));
    const refused = await deltascope('import', broken, '--db', fixture.path);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('broken.safetensors');
    expect(checkpointCount()).toBe(before + 1);
  });

  it('imports NaN and ±Infinity as they are, warning and counting them in the provenance', async () => {
    const file = join(temp.dir, 'nan.safetensors');
    writeFileSync(
      file,
      writeSafetensors(
        tensorMapFromTensors([
          { name: 'w', shape: [4], data: new Float32Array([1, NaN, Infinity, -Infinity]) },
          { name: 'b', shape: [2], data: new Float32Array([0, 1]) },
        ]),
      ),
    );
    const imported = await deltascope('import', file, '--db', fixture.path);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toBe(
      `warning: 3 values are NaN or ±Infinity (\`w\` 3); imported as they are and noted in checkpoint ${imported.stdout}'s provenance (details.nonFinite).`,
    );
    const db = openDatabase(fixture.path);
    try {
      const checkpoint = db.checkpoints.get(Number(imported.stdout));
      expect(checkpoint.provenance.details).toMatchObject({ nonFinite: { total: 3, tensors: { w: 3 } } });
    } finally {
      db.close();
    }
    const clean = await deltascope(
      'import',
      join(temp.dir, 'agent.safetensors'),
      '--db',
      fixture.path,
      '--json',
    );
    expect(clean.stderr).toBe('');
    expect((JSON.parse(clean.stdout) as { nonFinite: unknown }).nonFinite).toBeNull();
  });

  it("combines '2*#A - #B' and a bound alpha grid, printing one id per checkpoint", async () => {
    const single = await deltascope(
      'combine',
      `2*#${fixture.a} - #${fixture.b}`,
      '--db',
      fixture.path,
      '--label',
      'A − Δ',
    );
    expect(single.code).toBe(0);
    expect(single.stdout).toMatch(/^\d+$/);
    const grid = await deltascope(
      'combine',
      'A - alpha*(B - A)',
      '--bind',
      `A=${fixture.a}`,
      '--bind',
      `B=#${fixture.b}`,
      '--alpha-grid',
      '0,-1',
      '--db',
      fixture.path,
    );
    expect(grid.code).toBe(0);
    const ids = grid.stdout.split('\n');
    expect(ids).toHaveLength(2);
    // α = −1 gives B exactly.
    const same = await deltascope('diff', `${fixture.b}`, ids[1]!, '--db', fixture.path, '--json');
    expect((JSON.parse(same.stdout) as DiffComputeResult).model.maxAbs).toBe(0);
    const bad = await deltascope('combine', 'A +', '--bind', `A=${fixture.a}`, '--db', fixture.path);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/column/);
  });
});
