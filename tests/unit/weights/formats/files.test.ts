import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readSafetensorsFile,
  writeSafetensorsFile,
} from '../../../../src-main/weights/formats/safetensors-file';
import { readTfjsModelFile, writeTfjsModelFile } from '../../../../src-main/weights/formats/tfjs-file';
import { arraysOf, mapOf, noise, rejection } from '../helpers';

const model = mapOf({ 'torso.dense1.kernel': [[30, 20], [...noise(600, 1)]], 'value.bias': [[1], [0.25]] });

describe('weight files on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deltascope-weights-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and reads a .safetensors file', async () => {
    const path = join(dir, 'policy.safetensors');
    await writeSafetensorsFile(path, model, { step: '100' });
    const read = await readSafetensorsFile(path);
    expect(arraysOf(read.tensors)).toEqual(arraysOf(model));
    expect(read.metadata).toEqual({ step: '100' });
  });

  it('writes and reads a tfjs model folder', async () => {
    const written = await writeTfjsModelFile(join(dir, 'tfjs'), model, { maxShardBytes: 1024 });
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual([
      'tfjs/model.json',
      'tfjs/group1-shard1of3.bin',
      'tfjs/group1-shard2of3.bin',
      'tfjs/group1-shard3of3.bin',
    ]);
    const read = await readTfjsModelFile(join(dir, 'tfjs', 'model.json'));
    expect(arraysOf(read.tensors)).toEqual(arraysOf(model));
  });

  it('reports a missing file, a missing shard and a shard path that leaves the folder', async () => {
    expect((await rejection(readSafetensorsFile(join(dir, 'nope.safetensors')))).code).toBe('FILE_NOT_FOUND');
    await writeTfjsModelFile(join(dir, 'gap'), model, { maxShardBytes: 1024 });
    await rm(join(dir, 'gap', 'group1-shard2of3.bin'));
    const missing = await rejection(readTfjsModelFile(join(dir, 'gap', 'model.json')));
    expect(missing.code).toBe('INVALID_FILE');
    expect(missing.message).toBe('model.json: missing shard `group1-shard2of3.bin`');
    const evil = join(dir, 'evil.json');
    await writeFile(
      evil,
      JSON.stringify({
        weightsManifest: [
          { paths: ['../secret.bin'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] },
        ],
      }),
    );
    const escape = await rejection(readTfjsModelFile(evil));
    expect(escape.code).toBe('INVALID_FILE');
    expect(escape.message).toBe("evil.json: shard path `../secret.bin` points outside the model's folder");
  });
});
