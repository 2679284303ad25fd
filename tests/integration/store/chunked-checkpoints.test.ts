import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, LATEST_SCHEMA_VERSION, openDatabase } from '../../../src-main/store';
import {
  mapSource,
  openSafetensorsSource,
  tensorMapFromTensors,
  writeSafetensorsFolder,
} from '../../../src-main/weights';
import { makeTempDir } from '../../helpers/temp-dir';
import { makeRun } from './store-test-helpers';

const temp = makeTempDir('store-chunks');
afterAll(() => temp.cleanup());

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (data: Float32Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** Float32 values with every kind of bit pattern: normal, subnormal, ±0, ±∞ and NaN payloads. */
function patterns(count: number, seed: number): Float32Array {
  const bits = new Uint32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bits[i] = state;
  }
  return new Float32Array(bits.buffer);
}

describe('chunked checkpoint storage', () => {
  it('stores a checkpoint larger than the chunk size in chunks and reads it back bit-exact with its hashes', () => {
    const path = join(temp.dir, 'chunks.deltascope');
    const db = createDatabase(path);
    const kernel = patterns(5000, 1);
    const bias = patterns(300, 2);
    const stored = db.checkpoints.put({
      runId: makeRun(db),
      step: 0,
      label: 'chunked',
      tensors: [
        { name: 'torso.dense1.kernel', shape: [50, 100], data: kernel },
        { name: 'torso.dense1.bias', shape: [300], data: bias },
      ],
      provenance: { kind: 'fixture', description: 'chunks' },
      chunkBytes: 4096,
    });
    const whole = new Uint8Array([...bytesOf(kernel), ...bytesOf(bias)]);
    expect(stored.sha256).toBe(sha256(whole));
    expect(stored.byteLength).toBe(whole.byteLength);
    const { weights } = db.checkpoints.readWeights(stored.id);
    expect(Buffer.from(bytesOf(weights)).equals(Buffer.from(whole))).toBe(true);
    const one = db.checkpoints.readTensor(stored.id, 'torso.dense1.bias');
    expect(Buffer.from(bytesOf(one.data)).equals(Buffer.from(bytesOf(bias)))).toBe(true);
    db.close();

    const raw = new Database(path, { readonly: true });
    const rows = raw
      .prepare('SELECT tensor_index, sha256, data FROM checkpoint_chunks ORDER BY tensor_index, chunk_index')
      .all() as {
      tensor_index: number;
      sha256: string;
      data: Buffer;
    }[];
    raw.close();
    expect(rows.filter((r) => r.tensor_index === 0)).toHaveLength(5); // 20 000 bytes in ≤ 4096-byte rows
    for (const row of rows) {
      expect(row.data.byteLength).toBeLessThanOrEqual(4096);
      expect(row.sha256).toBe(sha256(row.data));
    }
  });

  it('imports a BF16 folder in its own dtype, chunk by chunk, and reads it back lazily', () => {
    const values = patterns(4096, 3).map((v) => (Number.isFinite(v) ? Math.fround(v) : 0));
    const map = tensorMapFromTensors([
      { name: 'model.layers.0.mlp.up_proj.weight', shape: [64, 64], data: values },
    ]);
    writeSafetensorsFolder(join(temp.dir, 'bf16'), mapSource(map, 'm'), {
      dtype: 'BF16',
      maxShardBytes: 4000,
    });
    const source = openSafetensorsSource(join(temp.dir, 'bf16'));
    const db = createDatabase(join(temp.dir, 'bf16.deltascope'));
    const stored = db.checkpoints.putFromSource(
      {
        runId: makeRun(db),
        step: 0,
        label: 'bf16',
        provenance: { kind: 'import', description: 'bf16' },
        chunkBytes: 1024,
      },
      source,
    );
    expect(stored.byteLength).toBe(4096 * 2);
    expect(db.checkpoints.get(stored.id).tensors[0]).toMatchObject({ dtype: 'bfloat16', byteLength: 8192 });
    const expected = new Float32Array(4096);
    source.read('model.layers.0.mlp.up_proj.weight', 0, expected);
    const fileBytes = new Uint8Array(8192);
    source.readRaw!('model.layers.0.mlp.up_proj.weight', 0, 4096, fileBytes);
    source.close();
    const { weights } = db.checkpoints.readWeights(stored.id);
    expect(Buffer.from(bytesOf(weights)).equals(Buffer.from(bytesOf(expected)))).toBe(true);
    const lazy = db.checkpoints.openSource(stored.id);
    const part = new Float32Array(700);
    lazy.read('model.layers.0.mlp.up_proj.weight', 1000, part); // spans two 512-element chunks
    expect([...part]).toEqual([...expected.subarray(1000, 1700)]);
    expect(lazy.peakBytesHeld()).toBeLessThanOrEqual(1024);
    // The stored BF16 bytes themselves (for the native passes), within one chunk row and across rows.
    const scratch = new Uint8Array(2000);
    for (const [start, count] of [
      [600, 300],
      [1000, 700],
    ]) {
      const raw = lazy.readRaw!('model.layers.0.mlp.up_proj.weight', start!, count!, scratch);
      expect(
        Buffer.from(raw).equals(Buffer.from(fileBytes.subarray(start! * 2, (start! + count!) * 2))),
      ).toBe(true);
    }
    expect(() => lazy.readRaw!('model.layers.0.mlp.up_proj.weight', 0, 1001, scratch)).toThrow(
      /needs 2002 bytes; the buffer has 2000/,
    );
    db.close();
  });

  it("migrates a previous version's checkpoints to chunks with identical hashes and values", () => {
    const path = join(temp.dir, 'v1.deltascope');
    copyFileSync(resolve('tests/fixtures/previous-version/v1-tiny-5x5.deltascope'), path);
    const before = new Database(path, { readonly: true });
    const old = before.prepare('SELECT id, sha256, weights FROM checkpoints ORDER BY id').all() as {
      id: number;
      sha256: string;
      weights: Buffer;
    }[];
    before.close();
    expect(old.length).toBeGreaterThan(10);
    for (const row of old) expect(sha256(row.weights)).toBe(row.sha256);

    const db = openDatabase(path);
    expect(db.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    for (const row of old) {
      expect(db.checkpoints.get(row.id).sha256).toBe(row.sha256);
      const { weights } = db.checkpoints.readWeights(row.id);
      expect(Buffer.from(bytesOf(weights)).equals(row.weights)).toBe(true);
    }
    db.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT COUNT(*) FROM checkpoints WHERE length(weights) > 0').pluck().get()).toBe(0);
    expect(after.prepare('SELECT COUNT(DISTINCT checkpoint_id) FROM checkpoint_chunks').pluck().get()).toBe(
      old.length,
    );
    after.close();
  });
});
