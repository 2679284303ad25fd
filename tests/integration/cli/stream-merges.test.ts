import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../../src-main/store';
import {
  aggregatedSource,
  mapSource,
  openSafetensorsSource,
  sourceToMap,
  tensorMapFromTensors,
  writeSafetensorsFolder,
  type TensorMap,
} from '../../../src-main/weights';
import { deltascope } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli-stream-merges');
afterAll(() => temp.cleanup());

/** A Llama-shaped model, values from a seeded LCG, ~37 KB in BF16. */
function model(seed: number): TensorMap {
  let state = seed >>> 0;
  const tensor = (name: string, shape: number[]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = (state / 4294967296 - 0.5) / 4;
    }
    return { name, shape, data };
  };
  return tensorMapFromTensors([
    tensor('model.embed_tokens.weight', [128, 32]),
    ...[0, 1].flatMap((l) => [
      tensor(`model.layers.${l}.self_attn.q_proj.weight`, [32, 32]),
      tensor(`model.layers.${l}.mlp.up_proj.weight`, [96, 32]),
      tensor(`model.layers.${l}.input_layernorm.weight`, [32]),
    ]),
    tensor('lm_head.weight', [128, 32]),
  ]);
}

function folder(name: string, seed: number): string {
  const dir = join(temp.dir, name);
  writeSafetensorsFolder(dir, mapSource(model(seed), name), { maxShardBytes: 9000, dtype: 'BF16' });
  writeFileSync(join(dir, 'config.json'), '{"model_type":"llama"}');
  return dir;
}

/** Every value's bits, by tensor (NaN-safe equality). */
function bits(path: string): Record<string, number[]> {
  const source = openSafetensorsSource(path);
  const map = sourceToMap(source);
  source.close();
  return Object.fromEntries([...map.values()].map((t) => [t.name, [...new Uint32Array(t.data.buffer)]]));
}

const BUDGET = '8192';

describe('streamed merges written as sharded folders', () => {
  const base = folder('base', 1);
  const tuned = [folder('rl-a', 2), folder('rl-b', 3), folder('rl-c', 4)];
  const modelBytes = [...model(1).values()].reduce((sum, t) => sum + 2 * t.data.length, 0);

  it("combines two folders as 'A - 0.5*(B - A)' into a folder, as the stored-checkpoint route does", async () => {
    expect(modelBytes).toBeGreaterThan(4 * Number(BUDGET));
    const out = join(temp.dir, 'negated');
    const { code, stderr } = await deltascope(
      'combine',
      'A - 0.5*(B - A)',
      '--bind',
      `A=${base}`,
      '--bind',
      `B=${tuned[0]}`,
      '--out',
      out,
      '--shard-size',
      '9000',
      '--memory-budget',
      BUDGET,
    );
    expect(stderr).toBe(`wrote ${out} (6 files)`);
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model-00001-of-00004.safetensors',
      'model-00002-of-00004.safetensors',
      'model-00003-of-00004.safetensors',
      'model-00004-of-00004.safetensors',
      'model.safetensors.index.json',
    ]);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(openSafetensorsSource(out).tensors.every((t) => t.dtype === 'BF16')).toBe(true);

    const db = join(temp.dir, 'combine.deltascope');
    createDatabase(db).close();
    const idOf = async (path: string) => (await deltascope('import', path, '--db', db)).stdout;
    const [idA, idB] = [await idOf(base), await idOf(tuned[0]!)];
    const viaStore = join(temp.dir, 'negated-via-store');
    const stored = await deltascope(
      'combine',
      'A - 0.5*(B - A)',
      '--bind',
      `A=${idA}`,
      '--bind',
      `B=${idB}`,
      '--db',
      db,
      '--out',
      viaStore,
    );
    expect(stored.code).toBe(0);
    expect(bits(out)).toEqual(bits(viaStore));
  });

  it('says a combination of files needs --out', async () => {
    const { code, stderr } = await deltascope(
      'combine',
      'A - B',
      '--bind',
      `A=${base}`,
      '--bind',
      `B=${tuned[1]}`,
    );
    expect(code).toBe(2);
    expect(stderr).toContain(
      'a formula over model files or folders is not saved in a database: give --out <folder>',
    );
  });

  it('writes TIES of three folders merged into the base, within a budget far below the models', async () => {
    const out = join(temp.dir, 'ties-merged');
    const args = ['aggregate', '--base', base, ...tuned.flatMap((t) => ['--delta', t])];
    const { code, stderr } = await deltascope(
      ...args,
      '--aggregator',
      'ties',
      '--density',
      '0.2',
      '--merge',
      '--out',
      out,
      '--memory-budget',
      BUDGET,
      '--shard-size',
      '9000',
    );
    expect(stderr).toBe(`wrote ${out} (6 files)`);
    expect(code).toBe(0);
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    // The same merge computed with each model in memory (whole tensors), written as BF16.
    const inMemory = join(temp.dir, 'ties-in-memory');
    const opened = [base, ...tuned].map((p) => mapSource(sourceToMap(openSafetensorsSource(p)), p));
    writeSafetensorsFolder(
      inMemory,
      aggregatedSource({
        spec: { kind: 'ties', density: 0.2 },
        base: opened[0]!,
        deltas: opened.slice(1),
        merge: true,
      }),
      { dtype: 'BF16' },
    );
    expect(bits(out)).toEqual(bits(inMemory));

    const map = join(temp.dir, 'mean-map');
    const mean = await deltascope(...args, '--aggregator', 'mean', '--out', map, '--json');
    expect(mean.code).toBe(0);
    expect(openSafetensorsSource(map).tensors.every((t) => t.dtype === 'F32')).toBe(true);
  });

  it('refuses to merge a relevance map and names a bad aggregator parameter', async () => {
    const args = ['aggregate', '--base', base, '--delta', tuned[0]!];
    const merged = await deltascope(
      ...args,
      '--aggregator',
      'sign-agreement',
      '--merge',
      '--out',
      join(temp.dir, 'x'),
    );
    expect(merged.code).toBe(1);
    expect(merged.stderr).toContain('sign-agreement gives a relevance map, not a weight update');
    const density = await deltascope(
      ...args,
      '--aggregator',
      'ties',
      '--density',
      '2',
      '--out',
      join(temp.dir, 'y'),
    );
    expect(density.code).toBe(2);
    expect(density.stderr).toContain('density');
  });
});
