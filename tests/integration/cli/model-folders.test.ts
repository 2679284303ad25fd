import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiffComputeResult } from '../../../src-main/shared/contract-weights';
import { createDatabase } from '../../../src-main/store';
import {
  mapSource,
  openSafetensorsSource,
  tensorMapFromTensors,
  writeSafetensorsFolder,
  type TensorMap,
} from '../../../src-main/weights';
import { deltascope } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli-folders');
afterAll(() => temp.cleanup());

/** A small Hugging Face-style model: per-layer attention and MLP tensors, values from `fill`. */
function hfModel(fill: (name: string, i: number) => number, lmHead = [48, 16]): TensorMap {
  const tensor = (name: string, shape: number[]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fill(name, i);
    return { name, shape, data };
  };
  const layers = [0, 1, 2].flatMap((l) => [
    tensor(`model.layers.${l}.self_attn.q_proj.weight`, [16, 16]),
    tensor(`model.layers.${l}.mlp.up_proj.weight`, [32, 16]),
    tensor(`model.layers.${l}.input_layernorm.weight`, [16]),
  ]);
  return tensorMapFromTensors([
    tensor('model.embed_tokens.weight', [48, 16]),
    ...layers,
    tensor('lm_head.weight', lmHead),
  ]);
}

const base = hfModel((_, i) => Math.sin(i) / 8);
// A BF16-exact change: every 7th element of each MLP tensor moves by 1/64.
const tuned = hfModel((name, i) => Math.sin(i) / 8 + (name.includes('mlp') && i % 7 === 0 ? 1 / 64 : 0));

function folder(name: string, map: TensorMap, config = true): string {
  const dir = join(temp.dir, name);
  writeSafetensorsFolder(dir, mapSource(map, name), { maxShardBytes: 3000, dtype: 'BF16' });
  if (config) writeFileSync(join(dir, 'config.json'), '{"model_type":"llama"}');
  return dir;
}

describe('model folders on the command line', () => {
  const a = folder('base', base);
  const b = folder('rl-tuned', tuned);

  it('diffs two sharded BF16 folders: the change sits in the MLP tensors', async () => {
    const { code, stdout, stderr } = await deltascope('diff', a, b, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const diff = JSON.parse(stdout) as DiffComputeResult;
    expect(diff.a).toMatchObject({ label: 'base', source: 'safetensors', tensorCount: 11 });
    const changed = diff.tensors.filter((t) => t.stats.l2 > 0).map((t) => t.name);
    expect(changed).toEqual([0, 1, 2].map((l) => `model.layers.${l}.mlp.up_proj.weight`));
    expect(diff.model.aboveEpsilon).toBeGreaterThan(0);
    const text = await deltascope('diff', a, b);
    expect(text.stdout).toContain('A: base (safetensors file)');
  });

  it('names the tensor whose shape differs between the two folders', async () => {
    const other = folder(
      'transposed',
      hfModel((_, i) => i, [16, 48]),
    );
    const { code, stderr } = await deltascope('diff', a, other);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'base and transposed do not have the same tensors: tensor `lm_head.weight`: base has [48,16], transposed has [16,48]',
    );
  });

  it('imports a folder as a checkpoint that diffs to zero against the folder', async () => {
    const db = join(temp.dir, 'folders.deltascope');
    createDatabase(db).close();
    const imported = await deltascope('import', b, '--db', db, '--json');
    expect(imported.stderr).toBe('');
    const result = JSON.parse(imported.stdout) as {
      checkpoint: { id: number };
      sourceDtypes: Record<string, string>;
    };
    expect(result.sourceDtypes['lm_head.weight']).toBe('BF16');
    const diff = await deltascope('diff', String(result.checkpoint.id), b, '--db', db, '--json');
    expect(diff.code).toBe(0);
    const out = join(temp.dir, 'exported');
    const exported = await deltascope(
      'export',
      String(result.checkpoint.id),
      out,
      '--db',
      db,
      '--format',
      'hf',
    );
    expect(exported.code).toBe(0);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    const again = await deltascope('diff', b, out, '--json');
    expect((JSON.parse(again.stdout) as DiffComputeResult).model).toMatchObject({ l2: 0, nonFinite: 0 });
    expect(openSafetensorsSource(out).tensors.every((t) => t.dtype === 'BF16')).toBe(true);
    expect((JSON.parse(diff.stdout) as DiffComputeResult).model).toMatchObject({
      l2: 0,
      count: 48 * 16 * 2 + 3 * (256 + 512 + 16),
    });
  });

  it("combines imported folders and writes 'A - 0.5*(B - A)' as a sharded folder with the config", async () => {
    const db = join(temp.dir, 'combine.deltascope');
    createDatabase(db).close();
    const idOf = async (path: string) => (await deltascope('import', path, '--db', db)).stdout;
    const [idA, idB] = [await idOf(a), await idOf(b)];
    const out = join(temp.dir, 'negated');
    const combined = await deltascope(
      'combine',
      'A - 0.5*(B - A)',
      '--bind',
      `A=${idA}`,
      '--bind',
      `B=${idB}`,
      '--db',
      db,
      '--out',
      out,
      '--shard-size',
      '3000',
    );
    expect(combined.stderr).toContain(`wrote ${out}`);
    expect(combined.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      expect.arrayContaining([
        'config.json',
        'model.safetensors.index.json',
        'model-00001-of-00004.safetensors',
      ]),
    );
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    const merged = openSafetensorsSource(out);
    expect(new Set(merged.tensors.map((t) => t.dtype))).toEqual(new Set(['BF16']));
    const up = new Float32Array(512);
    merged.read('model.layers.1.mlp.up_proj.weight', 0, up);
    merged.close();
    // Element 0 moved by +1/64 in B, so A − 0.5·(B − A) moves it by −1/128 (within BF16 rounding).
    const base0 = tuned.get('model.layers.1.mlp.up_proj.weight')!.data[0]! - 1 / 64;
    expect(up[0]).toBeCloseTo(base0 - 1 / 128, 2);
    const diff = await deltascope('diff', a, out, '--json');
    const changed = (JSON.parse(diff.stdout) as DiffComputeResult).tensors
      .filter((t) => t.stats.l2 > 0)
      .map((t) => t.name);
    expect(changed).toEqual([0, 1, 2].map((l) => `model.layers.${l}.mlp.up_proj.weight`));
  });

  it('says what a folder without a model lacks', async () => {
    const empty = join(temp.dir, 'empty');
    mkdirSync(empty);
    const { code, stderr } = await deltascope('diff', empty, b);
    expect(code).toBe(1);
    expect(stderr).toContain(
      'empty: the folder holds no model Deltascope reads (expected model.safetensors.index.json',
    );
  });
});
