import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DatabaseInfoSchema, ExperimentNodeSchema } from '../../../src-main/shared';
import { LATEST_SCHEMA_VERSION } from '../../../src-main/store';
import { expectStoreError, smallCheckpoint, storeDb } from './store-test-helpers';

const { db, path } = storeDb('store-repos', 'repos.deltascope');

describe('experiments', () => {
  it('creates, lists, finds by name and keeps the spec', () => {
    const created = db.experiments.create({
      name: 'cheese',
      description: 'RA pretrain',
      spec: { envs: 16, rewards: ['RA'] },
    });
    expect(created).toMatchObject({ name: 'cheese', description: 'RA pretrain' });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    expect(db.experiments.findOrCreate('cheese').id).toBe(created.id);
    const other = db.experiments.findOrCreate('gems');
    expect(other.description).toBe('');
    expect(db.experiments.list().map((experiment) => experiment.name)).toEqual(['cheese', 'gems']);
    expect(db.experiments.getSpec(created.id)).toEqual({ envs: 16, rewards: ['RA'] });
    expect(db.experiments.getSpec(other.id)).toBeNull();
  });

  it('refuses a second experiment of the same name and reports unknown ids', () => {
    expect(() => db.experiments.create({ name: 'cheese' })).toThrow(
      /An experiment named "cheese" already exists/,
    );
    expectStoreError(() => db.experiments.get(404), 'NOT_FOUND', path, /There is no experiment 404/);
  });
});

describe('runs', () => {
  it('creates a fine-tune from a checkpoint and reads back every field', () => {
    const experiment = db.experiments.findOrCreate('runs');
    const pretrain = db.runs.create({
      experimentId: experiment.id,
      name: 'MA',
      phase: 'pretrain',
      reward: { name: 'RA', collect: { cheese: 1 } },
      seed: 1,
    });
    expect(pretrain).toMatchObject({
      status: 'created',
      backend: null,
      parentCheckpointId: null,
      config: {},
      checkpointCount: 0,
      lastStep: null,
    });
    expect(pretrain.reward).toEqual({ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} });
    db.checkpoints.put(smallCheckpoint(pretrain.id, 0));
    const final = db.checkpoints.put(smallCheckpoint(pretrain.id, 4096));

    const finetune = db.runs.create({
      experimentId: experiment.id,
      name: 'coin',
      phase: 'finetune',
      reward: { name: 'coin', collect: { coin: 1 }, stepCost: -0.01 },
      seed: null,
      config: { learningRate: 1e-4 },
      backend: 'wasm',
      parentCheckpointId: final.id,
      status: 'running',
    });
    expect(db.runs.get(finetune.id)).toEqual(finetune);
    expect(finetune).toMatchObject({
      seed: null,
      backend: 'wasm',
      parentCheckpointId: final.id,
      config: { learningRate: 1e-4 },
    });
    expect(db.runs.get(pretrain.id)).toMatchObject({ checkpointCount: 2, lastStep: 4096 });
    expect(db.runs.getNode(pretrain.id).checkpoints.map((checkpoint) => checkpoint.step)).toEqual([0, 4096]);
    expect(db.runs.listByExperiment(experiment.id).map((run) => run.name)).toEqual(['MA', 'coin']);
  });

  it('updates status and backend', () => {
    const experiment = db.experiments.findOrCreate('runs');
    const run = db.runs.create({
      experimentId: experiment.id,
      name: 'status',
      phase: 'control',
      reward: { name: 'RA' },
      seed: 3,
    });
    db.runs.setStatus(run.id, 'running', 'cpu');
    expect(db.runs.get(run.id)).toMatchObject({ status: 'running', backend: 'cpu' });
    db.runs.setStatus(run.id, 'done');
    expect(db.runs.get(run.id)).toMatchObject({ status: 'done', backend: 'cpu' });
    expectStoreError(() => db.runs.setStatus(999, 'done'), 'NOT_FOUND', path);
  });

  it('refuses an invalid reward, phase, unknown experiment or unknown parent checkpoint', () => {
    const experiment = db.experiments.findOrCreate('runs');
    const base = {
      experimentId: experiment.id,
      name: 'bad',
      phase: 'pretrain' as const,
      reward: { name: 'RA' },
      seed: 1,
    };
    expect(() =>
      db.runs.create({ ...base, reward: { name: 'RA', collect: { cheese: 'lots' } } as never }),
    ).toThrow(/Invalid run reward/);
    expect(() => db.runs.create({ ...base, phase: 'warmup' as never })).toThrow(/Invalid run phase/);
    expectStoreError(
      () => db.runs.create({ ...base, experimentId: 5000 }),
      'NOT_FOUND',
      path,
      /no experiment 5000/,
    );
    expectStoreError(
      () => db.runs.create({ ...base, parentCheckpointId: 6000 }),
      'NOT_FOUND',
      path,
      /no checkpoint 6000/,
    );
  });
});

describe('artifacts', () => {
  it('stores an analysis output with its recipe and lists it without the data', () => {
    const experiment = db.experiments.findOrCreate('artifacts');
    const data = new Uint8Array([9, 8, 7, 6, 5]);
    const { id } = db.artifacts.put({
      experimentId: experiment.id,
      kind: 'delta-stats',
      schemaVersion: 1,
      name: 'coin − MA',
      recipe: { a: 3, b: 1, op: 'subtract' },
      manifest: { shape: [5], dtype: 'uint8' },
      data,
    });
    const global = db.artifacts.put({
      experimentId: null,
      kind: 'note',
      schemaVersion: 1,
      name: 'cross-experiment',
      recipe: {},
    });
    const stored = db.artifacts.get(id);
    expect(stored).toMatchObject({
      experimentId: experiment.id,
      kind: 'delta-stats',
      recipe: { a: 3, b: 1, op: 'subtract' },
    });
    expect(Array.from(stored.data!)).toEqual([9, 8, 7, 6, 5]);
    expect(db.artifacts.get(global.id)).toMatchObject({ data: null, manifest: null });
    expect(db.artifacts.list(experiment.id).map((artifact) => [artifact.name, artifact.byteLength])).toEqual([
      ['coin − MA', 5],
    ]);
    expect(db.artifacts.list(null).map((artifact) => artifact.id)).toEqual([global.id]);
    expect(db.artifacts.list()).toHaveLength(2);
    expect('data' in db.artifacts.list()[0]!).toBe(false);
  });
});

describe('the database as a whole', () => {
  it('reports counts, size and version matching the contract schema', () => {
    const info = db.info(true);
    expect(DatabaseInfoSchema.parse(info)).toEqual(info);
    expect(info).toMatchObject({
      path,
      fileName: 'repos.deltascope',
      schemaVersion: LATEST_SCHEMA_VERSION,
      isDefault: true,
    });
    expect(info.counts.experiments).toBe(db.experiments.list().length);
    expect(info.sizeBytes).toBeGreaterThan(0);
  });

  it('builds the experiment → run → checkpoint tree in id order', () => {
    const tree = db.tree();
    expect(tree.map((experiment) => experiment.id)).toEqual(
      db.experiments.list().map((experiment) => experiment.id),
    );
    for (const experiment of tree) {
      expect(ExperimentNodeSchema.parse(experiment)).toEqual(experiment);
      expect(experiment.runs.map((run) => run.id)).toEqual(
        db.runs.listByExperiment(experiment.id).map((run) => run.id),
      );
      for (const run of experiment.runs) expect(run.checkpoints).toEqual(db.checkpoints.listByRun(run.id));
    }
    expect(tree.find((experiment) => experiment.name === 'runs')?.runs[0]?.checkpoints).toHaveLength(2);
  });

  it('says the file is busy when another process holds the write lock past the timeout', () => {
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      expectStoreError(() => db.experiments.create({ name: 'blocked' }), 'DATABASE_BUSY', path, /is busy/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(db.experiments.create({ name: 'unblocked' }).name).toBe('unblocked');
  });
});
