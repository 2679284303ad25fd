import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import {
  closeSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltascopeError } from '../../../src-main/shared';
import {
  createDatabase,
  LATEST_SCHEMA_VERSION,
  openDatabase,
  type DeltascopeDb,
} from '../../../src-main/store';
import { ChunkWriter } from '../../../src-main/store/checkpoint-chunks';
import { migrate } from '../../../src-main/store/migrate';
import { MIGRATIONS } from '../../../src-main/store/migrations';
import {
  fingerprintSafetensors,
  mapSource,
  openSafetensorsSource,
  resolveSafetensorsPath,
  sourceToMap,
  tensorMapFromTensors,
  writeSafetensorsFolder,
  writeSafetensorsFromSource,
  type TensorMap,
} from '../../../src-main/weights';
import { makeTempDir } from '../../helpers/temp-dir';
import { makeRun } from './store-test-helpers';

const temp = makeTempDir('store-references');
afterAll(() => temp.cleanup());

/** A small model; values exact in BF16. */
function model(shift = 0): TensorMap {
  const tensor = (name: string, shape: number[]) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.round(64 * Math.sin(i + shift)) / 64;
    return { name, shape, data };
  };
  return tensorMapFromTensors([
    tensor('model.embed_tokens.weight', [64, 16]),
    tensor('model.layers.0.mlp.up_proj.weight', [32, 16]),
    tensor('model.layers.0.input_layernorm.weight', [16]),
  ]);
}

/** Whole-second modification times: utimes restores them exactly (it loses sub-millisecond digits). */
function roundTimes(path: string): void {
  const paths = statSync(path).isDirectory() ? readdirSync(path).map((f) => join(path, f)) : [path];
  for (const p of paths) utimesSync(p, 1_700_000_000, 1_700_000_000);
}

/** Imports `path` by reference with 256-byte blocks (so a change inside one block is detected). */
function reference(db: DeltascopeDb, path: string) {
  roundTimes(path);
  const resolved = resolveSafetensorsPath(path)!;
  return db.checkpoints.putReference(
    {
      runId: makeRun(db, path),
      step: 0,
      label: 'referenced',
      provenance: { kind: 'import', description: `referenced in place at ${path}` },
    },
    { path, fingerprint: fingerprintSafetensors(resolved, 256) },
  );
}

function refusal(read: () => unknown): DeltascopeError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(DeltascopeError);
    expect((error as DeltascopeError).code).toBe('REFERENCE_CHANGED');
    return error as DeltascopeError;
  }
  throw new Error('the read was not refused');
}

/** Overwrites one byte at `position` keeping the file's size and modification time. */
function flipByteKeepingTime(path: string, position: number): void {
  const { atime, mtime } = statSync(path);
  const byte = readFileSync(path)[position]!;
  const fd = openSync(path, 'r+');
  writeSync(fd, Uint8Array.of(byte ^ 0xff), 0, 1, position);
  closeSync(fd);
  utimesSync(path, atime, mtime);
}

describe('checkpoints referenced in place', () => {
  it('round-trips a referenced file and a sharded folder without copying their weights', () => {
    const file = join(temp.dir, 'single.safetensors');
    writeSafetensorsFromSource(file, mapSource(model(), 'single'), { dtype: 'BF16' });
    const dir = join(temp.dir, 'sharded');
    writeSafetensorsFolder(dir, mapSource(model(1), 'sharded'), { dtype: 'BF16', maxShardBytes: 1500 });
    const db = createDatabase(join(temp.dir, 'round-trip.deltascope'));
    for (const [path, expected] of [
      [file, model()],
      [dir, model(1)],
    ] as const) {
      const stored = reference(db, path);
      expect(db.checkpoints.reference(stored.id)?.path).toBe(path);
      const detail = db.checkpoints.get(stored.id);
      expect(detail.tensors.map((t) => [t.name, t.dtype])).toEqual(
        [...expected.keys()].map((name) => [name, 'bfloat16']),
      );
      const { weights } = db.checkpoints.readWeights(stored.id);
      expect([...weights]).toEqual([...expected.values()].flatMap((t) => [...t.data]));
      expect([...db.checkpoints.readTensor(stored.id, 'model.layers.0.mlp.up_proj.weight').data]).toEqual([
        ...expected.get('model.layers.0.mlp.up_proj.weight')!.data,
      ]);
      const source = db.checkpoints.openSource(stored.id);
      const fromFile = sourceToMap(openSafetensorsSource(path));
      expect(sourceToMap(source)).toEqual(fromFile);
      source.close();
    }
    // A single file is known by its own sha256.
    const single = db.checkpoints.listAll()[0]!;
    expect(single.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    const rows = db.checkpoints.listAll().length;
    db.close();
    const raw = new Database(join(temp.dir, 'round-trip.deltascope'), { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM checkpoint_chunks').pluck().get()).toBe(0);
    expect(raw.prepare('SELECT count(*) FROM checkpoint_references').pluck().get()).toBe(rows);
    raw.close();
  });

  it('refuses a referenced file that changed, naming the checkpoint, the file and what changed', () => {
    const db = createDatabase(join(temp.dir, 'changed.deltascope'));
    const file = join(temp.dir, 'changing.safetensors');
    writeSafetensorsFromSource(file, mapSource(model(), 'changing'), { dtype: 'BF16' });
    const { id } = reference(db, file);
    expect(db.checkpoints.readWeights(id).weights.length).toBeGreaterThan(0);

    // Same size, same modification time, one byte of the weights different: caught by the block's hash.
    flipByteKeepingTime(file, statSync(file).size - 700);
    const content = refusal(() => db.checkpoints.readWeights(id));
    expect(content.message).toContain(
      `checkpoint ${id} refers in place to ${file}, which changed since it was imported`,
    );
    expect(content.message).toMatch(/bytes \d+–\d+ no longer match the sha256 recorded at import/);
    expect(content.message).toMatch(/Restore the file, or import it again/);
    refusal(() => db.checkpoints.readTensor(id, 'model.layers.0.mlp.up_proj.weight'));
    // What a read returns is checked: a tensor in blocks that did not change still reads.
    expect(db.checkpoints.readTensor(id, 'model.embed_tokens.weight').data.length).toBe(64 * 16);

    // Touched: the modification time differs.
    flipByteKeepingTime(file, statSync(file).size - 700);
    expect(db.checkpoints.readWeights(id).weights.length).toBeGreaterThan(0);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect(refusal(() => db.checkpoints.openSource(id)).message).toMatch(
      /it was modified at .* \(at import: /,
    );

    // Grown: the size differs.
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('  ')]));
    expect(refusal(() => db.checkpoints.checkReference(id)).message).toMatch(
      /its size was \d+ bytes and is now \d+/,
    );

    // Gone.
    rmSync(file);
    expect(refusal(() => db.checkpoints.readWeights(id)).message).toContain(
      `${file}, which changed since it was imported: it is gone`,
    );
    db.close();
  });

  it('refuses a referenced folder whose shard went or was rewritten, naming the shard', () => {
    const db = createDatabase(join(temp.dir, 'folder.deltascope'));
    const dir = join(temp.dir, 'folder');
    writeSafetensorsFolder(dir, mapSource(model(2), 'folder'), { dtype: 'BF16', maxShardBytes: 1500 });
    const { id } = reference(db, dir);
    const second = join(dir, 'model-00002-of-00002.safetensors');
    flipByteKeepingTime(second, statSync(second).size - 10);
    const error = refusal(() => db.checkpoints.readWeights(id));
    expect(error.message).toContain(second);
    expect(error.message).toContain(`checkpoint ${id}`);
    rmSync(second);
    expect(refusal(() => db.checkpoints.openSource(id)).message).toContain(
      `${second}, which changed since it was imported: the file is gone`,
    );
    db.close();
  });

  it('migrates a database of the previous version (stored checkpoints kept) and can then reference files', () => {
    const path = join(temp.dir, 'v3.deltascope');
    const raw = new Database(path);
    raw.pragma('journal_mode = WAL');
    migrate(
      raw,
      path,
      MIGRATIONS.filter((m) => m.version <= 3),
    );
    expect(raw.pragma('user_version', { simple: true })).toBe(3);
    raw
      .prepare("INSERT INTO experiments (id, name, created_at) VALUES (1, 'old', '2026-01-01T00:00:00Z')")
      .run();
    raw
      .prepare(
        `INSERT INTO runs (id, experiment_id, name, phase, reward, status, created_at)
         VALUES (1, 1, 'MA', 'pretrain', '{"name":"RA","collect":{"cheese":1}}', 'done', '2026-01-01T00:00:00Z')`,
      )
      .run();
    const data = Float32Array.from([1, -2, 3.5, 0.25, 8, -0.125]);
    const manifest = [
      { name: 'policy.kernel', shape: [2, 3], dtype: 'float32', byteOffset: 0, byteLength: 24 },
    ];
    raw
      .prepare(
        `INSERT INTO checkpoints (id, run_id, step, label, tensor_count, param_count, byte_length, sha256, provenance, manifest, created_at, weights)
         VALUES (1, 1, 10, 'old', 1, 6, 24, '', '{"kind":"fixture","description":"v3"}', ?, '2026-01-01T00:00:00Z', X'')`,
      )
      .run(JSON.stringify(manifest));
    const writer = new ChunkWriter(raw, 1);
    writer.writeBytes(0, 'float32', new Uint8Array(data.buffer));
    raw.prepare('UPDATE checkpoints SET sha256 = ? WHERE id = 1').run(writer.digest());
    raw.close();

    const db = openDatabase(path);
    expect(db.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect([...db.checkpoints.readWeights(1).weights]).toEqual([...data]);
    expect(db.checkpoints.reference(1)).toBeNull();
    const file = join(temp.dir, 'after-migration.safetensors');
    writeSafetensorsFromSource(file, mapSource(model(), 'after'), { dtype: 'F32' });
    const { id } = reference(db, file);
    expect([...db.checkpoints.readTensor(id, 'model.layers.0.input_layernorm.weight').data]).toEqual([
      ...model().get('model.layers.0.input_layernorm.weight')!.data,
    ]);
    db.close();
    const after = new Database(path, { readonly: true });
    expect(after.prepare('SELECT name FROM deltascope_migrations WHERE version = 4').pluck().get()).toBe(
      'referenced-checkpoints',
    );
    after.close();
  });
});
