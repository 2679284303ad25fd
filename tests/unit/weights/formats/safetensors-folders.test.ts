import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffCheckpoints } from '../../../../src-main/weights/diff';
import { diffSources } from '../../../../src-main/weights/diff-stream';
import {
  readSafetensorsFile,
  writeSafetensorsFile,
} from '../../../../src-main/weights/formats/safetensors-file';
import { openSafetensorsSource } from '../../../../src-main/weights/formats/safetensors-reader';
import {
  writeSafetensorsFolder,
  writeSafetensorsFromSource,
} from '../../../../src-main/weights/formats/safetensors-writer';
import { mapSource, sourceToMap } from '../../../../src-main/weights/tensor-source';
import { arraysOf, expectError, mapOf, noise } from '../helpers';

const dir = mkdtempSync(join(tmpdir(), 'deltascope-folders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = mapOf({
  'model.embed_tokens.weight': [[64, 32], [...noise(2048, 1)]],
  'model.layers.0.self_attn.q_proj.weight': [[32, 32], [...noise(1024, 2)]],
  'model.layers.0.mlp.up_proj.weight': [[32, 48], [...noise(1536, 3)]],
  'model.layers.0.input_layernorm.weight': [[32], [...noise(32, 4)]],
  'model.layers.1.self_attn.q_proj.weight': [[32, 32], [...noise(1024, 5)]],
  'lm_head.weight': [[64, 32], [...noise(2048, 6)]],
});

/** A safetensors file built by hand: the header, then each tensor's raw bytes in order. */
function rawFile(tensors: { name: string; dtype: string; shape: number[]; bytes: Uint8Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.length;
  }
  return out;
}

/** Every 16-bit pattern once, as little-endian bytes. */
function allHalfPatterns(): Uint8Array {
  return new Uint8Array(Uint16Array.from({ length: 65536 }, (_, i) => i).buffer);
}

/** The data section of a safetensors file (what must survive a round trip bit for bit). */
function dataSection(path: string): Buffer {
  const bytes = readFileSync(path);
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return bytes.subarray(8 + length);
}

/** The first 16-bit pattern that did not survive (-1 if all did); cheaper to compare than toEqual. */
function firstChanged(path: string): number {
  const data = dataSection(path);
  const expected = Buffer.from(allHalfPatterns());
  if (data.equals(expected)) return -1;
  for (let i = 0; i < expected.length; i += 2) if (data.readUInt16LE(i) !== i / 2) return i / 2;
  return data.length;
}

describe('sharded safetensors folders', () => {
  it('reads a sharded folder with an index tensor for tensor equal to the single-file form', async () => {
    const single = join(dir, 'single.safetensors');
    await writeSafetensorsFile(single, model);
    const folder = join(dir, 'sharded');
    writeSafetensorsFolder(folder, mapSource(model, 'model'), { maxShardBytes: 10_000 });
    const shards = readdirSync(folder).filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThanOrEqual(3);
    expect(shards[0]).toBe(`model-00001-of-0000${shards.length}.safetensors`);
    const fromFolder = await readSafetensorsFile(folder);
    const fromFile = await readSafetensorsFile(single);
    expect([...fromFolder.tensors.keys()]).toEqual([...fromFile.tensors.keys()]);
    expect(arraysOf(fromFolder.tensors)).toEqual(arraysOf(fromFile.tensors));
    expect([...fromFolder.tensors.values()].map((t) => t.shape)).toEqual(
      [...model.values()].map((t) => t.shape),
    );
    // The index file itself names the folder too.
    const viaIndex = openSafetensorsSource(join(folder, 'model.safetensors.index.json'));
    expect(arraysOf(sourceToMap(viaIndex))).toEqual(arraysOf(model));
    viaIndex.close();
  });

  it('copies the source folder config.json next to the shards', () => {
    const base = join(dir, 'with-config');
    writeSafetensorsFolder(base, mapSource(model, 'model'));
    writeFileSync(join(base, 'config.json'), '{"model_type":"llama"}');
    const out = join(dir, 'merged');
    const source = openSafetensorsSource(base);
    writeSafetensorsFolder(out, source, { configFrom: base });
    source.close();
    expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(() => writeSafetensorsFolder(out, mapSource(model, 'model'))).toThrow(/already exists/);
  });

  it.each(['BF16', 'F16'])('round-trips every %s bit pattern bit-exact', (dtype) => {
    const path = join(dir, `all-${dtype}.safetensors`);
    writeFileSync(path, rawFile([{ name: 'w', dtype, shape: [256, 256], bytes: allHalfPatterns() }]));
    const source = openSafetensorsSource(path);
    expect(source.tensors[0]!.dtype).toBe(dtype);
    const copy = join(dir, `copy-${dtype}.safetensors`);
    writeSafetensorsFromSource(copy, source);
    source.close();
    expect(firstChanged(copy)).toBe(-1);
    // Through float32 and back: widening is exact, so narrowing returns the same bits.
    const wide = join(dir, `wide-${dtype}.safetensors`);
    const again = openSafetensorsSource(copy);
    writeSafetensorsFromSource(wide, again, { dtype: 'F32' });
    again.close();
    const narrow = join(dir, `narrow-${dtype}.safetensors`);
    const widened = openSafetensorsSource(wide);
    writeSafetensorsFromSource(narrow, widened, { dtype: dtype as 'BF16' | 'F16' });
    widened.close();
    expect(firstChanged(narrow)).toBe(-1);
  });

  it('names the shard that is missing', () => {
    const folder = join(dir, 'missing-shard');
    writeSafetensorsFolder(folder, mapSource(model, 'model'), { maxShardBytes: 10_000 });
    rmSync(join(folder, 'model-00002-of-00005.safetensors'));
    const error = expectError(() => openSafetensorsSource(folder), 'INVALID_FILE');
    expect(error.message).toMatch(
      /missing-shard\/model\.safetensors\.index\.json: shard `model-00002-of-00005\.safetensors` \(holding `model\.layers\.0\./,
    );
    expect(error.message).toMatch(/is missing from the folder/);
  });

  it('names a tensor the index maps to a shard that does not hold it', () => {
    const folder = join(dir, 'bad-index');
    writeSafetensorsFolder(folder, mapSource(model, 'model'), { maxShardBytes: 10_000 });
    const indexPath = join(folder, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['model.layers.9.mlp.down_proj.weight'] = 'model-00001-of-00005.safetensors';
    writeFileSync(indexPath, JSON.stringify(index));
    const error = expectError(() => openSafetensorsSource(folder), 'INVALID_FILE');
    expect(error.message).toContain(
      'the index maps tensor `model.layers.9.mlp.down_proj.weight` to shard `model-00001-of-00005.safetensors`, which does not hold it',
    );
  });

  it('refuses integer tensors by name', () => {
    const path = join(dir, 'ints.safetensors');
    writeFileSync(
      path,
      rawFile([{ name: 'model.position_ids', dtype: 'I64', shape: [2], bytes: new Uint8Array(16) }]),
    );
    const error = expectError(() => openSafetensorsSource(path), 'INVALID_FILE');
    expect(error.message).toMatch(
      /ints\.safetensors: tensor `model\.position_ids` has dtype I64, which cannot be imported or diffed/,
    );
  });

  it('names the tensor whose shapes differ between two folders', () => {
    const other = mapOf({
      ...Object.fromEntries([...model.values()].map((t) => [t.name, [t.shape as number[], [...t.data]]])),
      'lm_head.weight': [[32, 64], [...noise(2048, 6)]],
    });
    writeSafetensorsFolder(join(dir, 'base'), mapSource(model, 'model'), { maxShardBytes: 10_000 });
    writeSafetensorsFolder(join(dir, 'tuned'), mapSource(other, 'model'), { maxShardBytes: 10_000 });
    const a = openSafetensorsSource(join(dir, 'base'));
    const b = openSafetensorsSource(join(dir, 'tuned'));
    const error = expectError(() => diffSources(a, b), 'SHAPE_MISMATCH');
    expect(error.message).toBe(
      'base and tuned do not have the same tensors: tensor `lm_head.weight`: base has [64,32], tuned has [32,64]',
    );
    a.close();
    b.close();
  });
});

describe('streamed diffs in bounded memory', () => {
  it('diffs two folders many times larger than its budget without holding more than the budget', () => {
    const budget = 64 * 1024;
    const size = (seed: number) =>
      mapOf(
        Object.fromEntries(
          Array.from({ length: 8 }, (_, i) => [
            `model.layers.${i}.mlp.up_proj.weight`,
            [[256, 160], [...noise(256 * 160, seed + i)]],
          ]),
        ) as Record<string, [number[], number[]]>,
      );
    const base = size(10);
    const tuned = size(20);
    writeSafetensorsFolder(join(dir, 'big-a'), mapSource(base, 'a'), {
      maxShardBytes: 400_000,
      dtype: 'BF16',
    });
    writeSafetensorsFolder(join(dir, 'big-b'), mapSource(tuned, 'b'), {
      maxShardBytes: 400_000,
      dtype: 'BF16',
    });
    const a = openSafetensorsSource(join(dir, 'big-a'));
    const b = openSafetensorsSource(join(dir, 'big-b'));
    const folderBytes = a.tensors.reduce((sum, t) => sum + t.count * 2, 0);
    expect(folderBytes).toBeGreaterThan(8 * budget);
    const streamed = diffSources(a, b, { memoryBudgetBytes: budget });
    expect(streamed.peakBytesHeld).toBeGreaterThan(0);
    expect(streamed.peakBytesHeld).toBeLessThanOrEqual(budget);
    // The same statistics as diffing the BF16 values in memory.
    const whole = diffCheckpoints(sourceToMap(a), sourceToMap(b));
    expect(streamed.model.count).toBe(whole.model.count);
    expect(streamed.model.l2).toBeCloseTo(whole.model.l2, 9);
    expect(streamed.model.maxAbs).toBe(whole.model.maxAbs);
    expect(streamed.model.std).toBeCloseTo(whole.model.std, 12);
    expect(streamed.model.histogram).toEqual(whole.model.histogram);
    expect(streamed.tensors.map((t) => t.stats.signFlips)).toEqual(
      whole.tensors.map((t) => t.stats.signFlips),
    );
    a.close();
    b.close();
  });
});
