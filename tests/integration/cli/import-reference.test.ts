import { closeSync, openSync, readdirSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DiffComputeResult } from '../../../src-main/shared/contract-weights';
import { createDatabase, openDatabase } from '../../../src-main/store';
import {
  mapSource,
  tensorMapFromTensors,
  writeSafetensorsFolder,
  writeTfjsModelFile,
} from '../../../src-main/weights';
import { deltascope } from '../../helpers/run-cli';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('cli-reference');
afterAll(() => temp.cleanup());

function hfFolder(name: string, shift: number): string {
  const tensor = (tensorName: string, shape: number[]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.round(32 * Math.cos(i + shift)) / 32;
    return { name: tensorName, shape, data };
  };
  const map = tensorMapFromTensors([
    tensor('model.embed_tokens.weight', [40, 16]),
    tensor('model.layers.0.mlp.up_proj.weight', [32, 16]),
    tensor('lm_head.weight', [40, 16]),
  ]);
  const dir = join(temp.dir, name);
  writeSafetensorsFolder(dir, mapSource(map, name), { maxShardBytes: 1400, dtype: 'BF16' });
  return dir;
}

describe('deltascope import --reference', () => {
  it('points at a folder in place, diffs it like the folder, and refuses it once a shard changed', async () => {
    const base = hfFolder('base', 0);
    const tuned = hfFolder('tuned', 0.25);
    const db = join(temp.dir, 'refs.deltascope');
    createDatabase(db).close();
    const sizeBefore = statSync(db).size;
    const imported = await deltascope('import', '--reference', tuned, '--db', db, '--json');
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const result = JSON.parse(imported.stdout) as { checkpoint: { id: number }; reference: boolean };
    expect(result.reference).toBe(true);
    const id = String(result.checkpoint.id);
    const check = openDatabase(db, { readOnly: true });
    expect(check.checkpoints.get(result.checkpoint.id).provenance.description).toBe(
      `referenced in place at ${tuned} (safetensors; not copied)`,
    );
    check.close();
    // Nothing of the weights (3 × 640 BF16 values at least) went into the database.
    expect(statSync(db).size - sizeBefore).toBeLessThan(3 * 640 * 2);

    const direct = JSON.parse((await deltascope('diff', base, tuned, '--json')).stdout) as DiffComputeResult;
    const viaReference = await deltascope('diff', base, id, '--db', db, '--json');
    expect(viaReference.code).toBe(0);
    const referenced = JSON.parse(viaReference.stdout) as DiffComputeResult;
    expect(referenced.model).toEqual(direct.model);

    // One byte of the last shard rewritten, size and time kept.
    const shard = join(
      tuned,
      readdirSync(tuned)
        .filter((f) => f.endsWith('.safetensors'))
        .sort()
        .at(-1)!,
    );
    const { atime, mtime, size } = statSync(shard);
    const fd = openSync(shard, 'r+');
    writeSync(fd, Uint8Array.of(0x7f), 0, 1, size - 3);
    closeSync(fd);
    utimesSync(shard, atime, mtime);
    // utimes may lose sub-millisecond digits: then the time, else the content, gives it away.
    const refused = await deltascope('diff', base, id, '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `checkpoint ${id} refers in place to ${shard}, which changed since it was imported`,
    );
  });

  it('refuses to reference a tfjs model, saying to import a copy', async () => {
    const db = join(temp.dir, 'tfjs.deltascope');
    createDatabase(db).close();
    const dir = join(temp.dir, 'tfjs');
    await writeTfjsModelFile(
      dir,
      tensorMapFromTensors([{ name: 'dense/kernel', shape: [2], data: Float32Array.of(1, 2) }]),
    );
    const refused = await deltascope('import', '--reference', dir, '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('only safetensors files and folders can be referenced in place');
  });
});
