import Database from 'better-sqlite3';
import { createHash, randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDatabase, openDatabase } from '../../../src-main/store';
import { expectStoreError, makeRun, smallCheckpoint, storeDb } from './store-test-helpers';

const { db, path, dir } = storeDb('store-checkpoints', 'checkpoints.deltascope');
const runId = makeRun(db);

function bytesOf(array: Float32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/** Random bit patterns (so every kind of float appears) plus the awkward values placed explicitly. */
function awkwardFloats(length: number): Float32Array {
  const bits = new Uint32Array(length);
  randomFillSync(bits);
  const special = [
    0x7fc00000, 0x7f800001, 0xffc12345, 0x80000000, 0x00000000, 0x00000001, 0x807fffff, 0x7f800000,
    0xff800000,
  ];
  special.forEach((pattern, i) => (bits[i * 1009] = pattern));
  return new Float32Array(bits.buffer);
}

describe('checkpoints', () => {
  it('stores and returns a checkpoint of over a million float32 values bit for bit', () => {
    const big = awkwardFloats(1024 * 1000);
    const odd = awkwardFloats(17);
    const small = awkwardFloats(15);
    const summary = db.checkpoints.put({
      runId,
      step: 200_704,
      label: 'final',
      tensors: [
        { name: 'torso.dense1.kernel', shape: [1024, 1000], data: big },
        { name: 'torso.dense1.bias', shape: [17], data: odd },
        { name: 'policy.kernel', shape: [3, 5], data: small },
      ],
      provenance: { kind: 'training', description: 'PPO on RA' },
    });
    const expectedBlob = Buffer.concat([bytesOf(big), bytesOf(odd), bytesOf(small)]);
    expect(summary.paramCount).toBe(1024 * 1000 + 17 + 15);
    expect(summary.byteLength).toBe(expectedBlob.byteLength);
    expect(summary.sha256).toBe(createHash('sha256').update(expectedBlob).digest('hex'));
    expect(summary.provenance).toEqual({
      kind: 'training',
      description: 'PPO on RA',
      inputs: [],
      details: {},
    });

    const { manifest, weights } = db.checkpoints.readWeights(summary.id);
    expect(manifest.map(({ name, byteOffset, byteLength }) => [name, byteOffset, byteLength])).toEqual([
      ['torso.dense1.kernel', 0, 4_096_000],
      ['torso.dense1.bias', 4_096_000, 68],
      ['policy.kernel', 4_096_068, 60],
    ]);
    expect(bytesOf(weights).equals(expectedBlob)).toBe(true);

    const tensors = db.checkpoints.readTensors(summary.id);
    expect([...tensors.keys()]).toEqual(['torso.dense1.kernel', 'torso.dense1.bias', 'policy.kernel']);
    const bias = tensors.get('torso.dense1.bias')!;
    expect(bias.shape).toEqual([17]);
    expect(Array.from(new Uint32Array(bias.data.slice().buffer))).toEqual(
      Array.from(new Uint32Array(odd.buffer)),
    );
    expect(bytesOf(tensors.get('torso.dense1.kernel')!.data).equals(bytesOf(big))).toBe(true);
    expect(new Set([...tensors.values()].map((tensor) => tensor.data.buffer)).size).toBe(1);
  });

  it('describes a checkpoint with its manifest, parent and resume state', () => {
    const first = db.checkpoints.put(smallCheckpoint(runId, 100));
    const optimizerState = new Uint8Array([1, 2, 3, 250, 0, 7]);
    const second = db.checkpoints.put({
      ...smallCheckpoint(runId, 200),
      parentCheckpointId: first.id,
      optimizerState,
      resumeState: { rng: [1, 2, 3, 4], update: 12 },
    });
    const detail = db.checkpoints.get(second.id);
    expect(detail).toMatchObject({
      runId,
      step: 200,
      parentCheckpointId: first.id,
      tensorCount: 2,
      paramCount: 9,
    });
    expect(detail.tensors).toEqual([
      { name: 'torso.dense1.kernel', shape: [2, 3], dtype: 'float32', byteOffset: 0, byteLength: 24 },
      { name: 'torso.dense1.bias', shape: [3], dtype: 'float32', byteOffset: 24, byteLength: 12 },
    ]);
    const resume = db.checkpoints.readResume(second.id);
    expect(Array.from(resume.optimizerState!)).toEqual(Array.from(optimizerState));
    expect(resume.resumeState).toEqual({ rng: [1, 2, 3, 4], update: 12 });
    expect(db.checkpoints.readResume(first.id)).toEqual({ optimizerState: null, resumeState: null });
  });

  it('lists a run’s checkpoints and finds the latest step', () => {
    const otherRun = makeRun(db, 'ordering');
    expect(db.checkpoints.latestForRun(otherRun)).toBeNull();
    const ids = [300, 100, 200].map((step) => db.checkpoints.put(smallCheckpoint(otherRun, step)).id);
    expect(db.checkpoints.listByRun(otherRun).map((checkpoint) => checkpoint.id)).toEqual(ids);
    expect(db.checkpoints.latestForRun(otherRun)?.step).toBe(300);
  });

  it('names the tensor whose shape does not match its data, and writes nothing', () => {
    const before = db.info(false).counts.checkpoints;
    const input = smallCheckpoint(runId, 5);
    input.tensors[1] = { name: 'torso.dense1.bias', shape: [4], data: Float32Array.from([1, 2, 3]) };
    expect(() => db.checkpoints.put(input)).toThrow(
      /Tensor `torso.dense1.bias` has shape \[4\] \(4 values\) but holds 3 values/,
    );
    expect(db.info(false).counts.checkpoints).toBe(before);
  });

  it('refuses bad run ids, unknown parents and duplicate names without writing a row', () => {
    const before = db.info(false).counts.checkpoints;
    expect(() => db.checkpoints.put({ ...smallCheckpoint(runId), runId: Number.NaN })).toThrow(
      /runId must be a positive integer, got NaN/,
    );
    expectStoreError(
      () => db.checkpoints.put(smallCheckpoint(9999)),
      'NOT_FOUND',
      path,
      /There is no run 9999/,
    );
    expectStoreError(
      () => db.checkpoints.put({ ...smallCheckpoint(runId), parentCheckpointId: 8888 }),
      'NOT_FOUND',
      path,
    );
    const duplicate = smallCheckpoint(runId);
    duplicate.tensors[1] = { ...duplicate.tensors[0]! };
    expect(() => db.checkpoints.put(duplicate)).toThrow(/appears twice/);
    expect(db.info(false).counts.checkpoints).toBe(before);
  });

  it('rolls back earlier checkpoints of a transaction when a later one fails', () => {
    const before = db.info(false).counts.checkpoints;
    expect(() =>
      db.transaction(() => {
        db.checkpoints.put(smallCheckpoint(runId, 1));
        db.checkpoints.put(smallCheckpoint(runId, 2));
        db.checkpoints.put({ ...smallCheckpoint(runId, 3), runId: 424242 });
      }),
    ).toThrow(/There is no run 424242/);
    expect(db.info(false).counts.checkpoints).toBe(before);
  });

  it('reports a checkpoint whose stored weights no longer match their checksum', () => {
    const damagedPath = join(dir, 'bitflip.deltascope');
    const damagedDb = createDatabase(damagedPath);
    const id = damagedDb.checkpoints.put(smallCheckpoint(makeRun(damagedDb))).id;
    damagedDb.close();
    const raw = new Database(damagedPath);
    const weights = raw
      .prepare('SELECT data FROM checkpoint_chunks WHERE checkpoint_id = ? AND tensor_index = 0')
      .pluck()
      .get(id) as Buffer;
    weights[5] = (weights[5] ?? 0) ^ 0x01;
    raw
      .prepare('UPDATE checkpoint_chunks SET data = ? WHERE checkpoint_id = ? AND tensor_index = 0')
      .run(weights, id);
    raw.close();

    const reopened = openDatabase(damagedPath);
    try {
      expectStoreError(
        () => reopened.checkpoints.readWeights(id),
        'DATABASE_CORRUPT',
        damagedPath,
        /checkpoint 1: chunk 0 of tensor `torso.dense1.kernel` does not match its sha256 checksum/,
      );
      expect(reopened.checkpoints.get(id).tensorCount).toBe(2);
    } finally {
      reopened.close();
    }
  });
});

describe('reading one tensor at a time', () => {
  it('returns exactly the bytes readTensors gives, for every tensor, without the others', () => {
    const first = awkwardFloats(3 * 1001);
    const second = awkwardFloats(17);
    const put = db.checkpoints.put({
      runId,
      step: 7,
      label: 'streamed',
      tensors: [
        { name: 'torso.dense1.kernel', shape: [3, 1001], data: first },
        { name: 'torso.dense1.bias', shape: [17], data: second },
      ],
      provenance: { kind: 'fixture', description: 'per-tensor read' },
    });
    const whole = db.checkpoints.readTensors(put.id);
    for (const name of ['torso.dense1.kernel', 'torso.dense1.bias']) {
      const one = db.checkpoints.readTensor(put.id, name);
      expect(one.shape).toEqual(whole.get(name)!.shape);
      expect(bytesOf(one.data).equals(bytesOf(whole.get(name)!.data))).toBe(true);
    }
  });

  it('names the checkpoint and the tensor when the tensor does not exist', () => {
    const { id } = db.checkpoints.put(smallCheckpoint(runId, 8));
    expect(() => db.checkpoints.readTensor(id, 'no.such.tensor')).toThrow(
      new RegExp(`Checkpoint ${id} has no tensor \`no\\.such\\.tensor\``),
    );
  });
});
