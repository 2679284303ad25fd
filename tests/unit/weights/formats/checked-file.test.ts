import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_MODEL_FILE_BYTES_ENV,
  maxModelFileBytes,
} from '../../../../src-main/weights/formats/checked-file';
import {
  readSafetensorsFile,
  writeSafetensorsFile,
} from '../../../../src-main/weights/formats/safetensors-file';
import { readTfjsModelFile, writeTfjsModelFile } from '../../../../src-main/weights/formats/tfjs-file';
import { arraysOf, mapOf, noise, rejection } from '../helpers';

const model = mapOf({ 'torso.dense1.kernel': [[30, 20], [...noise(600, 1)]], 'value.bias': [[1], [0.25]] });

/** A model.json whose one group lists `paths` for a single [150] float32 weight (600 bytes). */
function manifest(paths: string[]): string {
  return JSON.stringify({
    format: 'layers-model',
    weightsManifest: [{ paths, weights: [{ name: 'w', shape: [150], dtype: 'float32' }] }],
  });
}

describe('model files are read only when they are regular files under the size cap', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deltascope-checked-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    delete process.env[MAX_MODEL_FILE_BYTES_ENV];
  });

  it('refuses a FIFO named x.safetensors at once instead of hanging', async () => {
    const fifo = join(dir, 'x.safetensors');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const error = await rejection(readSafetensorsFile(fifo));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error.code).toBe('INVALID_FILE');
    expect(error.message).toBe(
      `${fifo} is a pipe (FIFO), not a regular file; model files must be regular files`,
    );
  });

  it('refuses a symlink to /dev/zero at once, as a model file and as a tfjs shard', async () => {
    const zero = join(dir, 'zero.safetensors');
    await symlink('/dev/zero', zero);
    const started = performance.now();
    const error = await rejection(readSafetensorsFile(zero));
    expect(error.message).toContain('is a device, not a regular file');
    const folder = join(dir, 'zero-shard');
    await mkdir(folder);
    await writeFile(join(folder, 'model.json'), manifest(['dev.bin']));
    await symlink('/dev/zero', join(folder, 'dev.bin'));
    // /dev/zero is outside the folder, so confinement refuses it before the type check would.
    const shard = await rejection(readTfjsModelFile(join(folder, 'model.json')));
    expect(shard.code).toBe('INVALID_FILE');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('checks the size cap (DELTASCOPE_MAX_MODEL_FILE_BYTES) before reading', async () => {
    const path = join(dir, 'small.safetensors');
    await writeSafetensorsFile(path, model);
    process.env[MAX_MODEL_FILE_BYTES_ENV] = '1000';
    const error = await rejection(readSafetensorsFile(path));
    expect(error.code).toBe('INVALID_FILE');
    expect(error.message).toMatch(
      /^small\.safetensors: is 2\.\d KiB, over the 1000 bytes limit on model files \(raise it with DELTASCOPE_MAX_MODEL_FILE_BYTES=<bytes>\)$/,
    );
    process.env[MAX_MODEL_FILE_BYTES_ENV] = '1e6';
    expect(arraysOf((await readSafetensorsFile(path)).tensors)).toEqual(arraysOf(model));
    process.env[MAX_MODEL_FILE_BYTES_ENV] = 'lots';
    expect(() => maxModelFileBytes()).toThrow(/DELTASCOPE_MAX_MODEL_FILE_BYTES must be a positive number/);
  });

  it("caps a tfjs model's shards together", async () => {
    await writeTfjsModelFile(join(dir, 'capped'), model, { maxShardBytes: 1024 });
    process.env[MAX_MODEL_FILE_BYTES_ENV] = '2048';
    const error = await rejection(readTfjsModelFile(join(dir, 'capped', 'model.json')));
    expect(error.message).toMatch(/^model\.json: its shards hold 2\.\d KiB, over the 2\.0 KiB limit/);
  });
});

describe('tfjs shards are confined to the model folder and de-duplicated by real path', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deltascope-shards-'));
    await mkdir(join(dir, 'model'));
    await writeFile(join(dir, 'model', 'big.bin'), new Uint8Array(600));
    await writeFile(join(dir, 'outside.bin'), new Uint8Array(600));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses 30 aliases of one shard instead of reading it 30 times', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `${'./'.repeat(i + 1)}big.bin`);
    await writeFile(join(dir, 'model', 'aliases.json'), manifest(aliases));
    const error = await rejection(readTfjsModelFile(join(dir, 'model', 'aliases.json')));
    expect(error.code).toBe('INVALID_FILE');
    expect(error.message).toBe('aliases.json: shards `./big.bin` and `././big.bin` are the same file');
    await writeFile(join(dir, 'model', 'twice.json'), manifest(['big.bin', 'big.bin']));
    expect((await rejection(readTfjsModelFile(join(dir, 'model', 'twice.json')))).message).toBe(
      'twice.json: shard `big.bin` is listed twice',
    );
  });

  it('refuses a symlinked shard that leads out of the folder, and follows one that stays inside', async () => {
    await symlink(join(dir, 'outside.bin'), join(dir, 'model', 'escape.bin'));
    await writeFile(join(dir, 'model', 'escape.json'), manifest(['escape.bin']));
    const error = await rejection(readTfjsModelFile(join(dir, 'model', 'escape.json')));
    expect(error.message).toBe(
      "escape.json: shard `escape.bin` resolves (through a symlink) to a file outside the model's folder",
    );
    await symlink('big.bin', join(dir, 'model', 'inside.bin'));
    await writeFile(join(dir, 'model', 'inside.json'), manifest(['inside.bin']));
    const read = await readTfjsModelFile(join(dir, 'model', 'inside.json'));
    expect(read.tensors.get('w')?.data).toEqual(new Float32Array(150));
  });

  it('reads a model through a symlinked folder', async () => {
    await symlink(join(dir, 'model'), join(dir, 'linked'));
    await writeFile(join(dir, 'model', 'plain.json'), manifest(['big.bin']));
    const read = await readTfjsModelFile(join(dir, 'linked', 'plain.json'));
    expect(read.tensors.get('w')?.shape).toEqual([150]);
  });
});

describe('format errors never echo file contents', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deltascope-echo-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names where a .json fails to parse, not its first bytes', async () => {
    const path = join(dir, 'notes.json');
    await writeFile(path, 'password: hunter2-SECRET\nmore lines');
    const error = await rejection(readTfjsModelFile(path));
    expect(error.message).toBe('notes.json: model.json is not valid JSON (a syntax error)');
    expect(error.message).not.toContain('pass');
    await writeFile(path, '{\n  "weightsManifest": [SECRET]\n}');
    const inner = await rejection(readTfjsModelFile(path));
    expect(inner.message).toBe('notes.json: model.json is not valid JSON (a syntax error)');
    expect(inner.message).not.toContain('SECRET');
    await writeFile(path, '{\n  "weightsManifest": [],\n}');
    expect((await rejection(readTfjsModelFile(path))).message).toBe(
      'notes.json: model.json is not valid JSON (a syntax error at line 3, column 1)',
    );
  });

  it('shows a header value only when it is short and token-like', async () => {
    const dtype = `SECRET ${'x'.repeat(200)}`;
    const header = new TextEncoder().encode(
      JSON.stringify({ t: { dtype, shape: [1], data_offsets: [0, 4] } }),
    );
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const path = join(dir, 'long.safetensors');
    await writeFile(path, bytes);
    const error = await rejection(readSafetensorsFile(path));
    expect(error.message).toBe('long.safetensors: tensor `t` has unknown dtype (a string of 207 characters)');
  });
});
