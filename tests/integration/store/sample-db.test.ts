import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_KEYS } from '../../../src-main/shared';
import { openDatabase, type DeltascopeDb } from '../../../src-main/store';
import { writeSampleDatabase, type SampleDatabase } from '../../fixtures/sample-db';
import { makeTempDir } from '../../helpers/temp-dir';

const temp = makeTempDir('store-sample');
const FIXTURE = fileURLToPath(new URL('../../fixtures/sample-db.ts', import.meta.url));
let sample: SampleDatabase;
let db: DeltascopeDb;

beforeAll(() => {
  const path = join(temp.dir, 'sample.deltascope');
  sample = writeSampleDatabase(path);
  db = openDatabase(path);
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

/** Mean |after − before| over the columns of a [rows, columns] kernel picked by `keep`. */
function meanAbsDelta(
  before: Float32Array,
  after: Float32Array,
  columns: number,
  keep: (column: number) => boolean,
): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < before.length; i++) {
    if (!keep(i % columns)) continue;
    sum += Math.abs((after[i] as number) - (before[i] as number));
    count += 1;
  }
  return sum / count;
}

describe('the sample database fixture', () => {
  it('holds the maze-cheese demo experiment and an empty one', () => {
    const tree = db.tree();
    expect(tree.map((experiment) => experiment.name)).toEqual(['maze-cheese-demo', 'empty-experiment']);
    expect(tree[1]?.runs).toEqual([]);
    const demo = tree[0]!;
    expect(demo.id).toBe(sample.experimentId);
    expect(demo.runs.map((run) => [run.name, run.phase, run.reward.name, run.checkpoints.length])).toEqual([
      ['MA', 'pretrain', 'RA', 4],
      ['coin', 'finetune', 'coin', 3],
      ['red-gem', 'finetune', 'red_gem', 3],
      ['null-control', 'control', 'RA', 3],
    ]);
    expect(demo.runs.map((run) => run.id)).toEqual(sample.runIds);
    expect(demo.runs.flatMap((run) => run.checkpoints.map((checkpoint) => checkpoint.id))).toEqual(
      sample.checkpointIds,
    );
    expect(demo.runs[0]?.reward).toEqual({ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} });
  });

  it('starts every follow-up run from the pretrained agent’s final checkpoint', () => {
    const final = db.checkpoints.latestForRun(sample.runIds[0]!)!;
    expect(final.step).toBe(200_704);
    for (const runId of sample.runIds.slice(1)) {
      const node = db.runs.getNode(runId);
      expect(node.parentCheckpointId).toBe(final.id);
      expect(node.checkpoints[0]?.parentCheckpointId).toBe(final.id);
      expect(node.checkpoints[1]?.parentCheckpointId).toBe(node.checkpoints[0]?.id);
    }
  });

  it('stores the small MLP in every checkpoint', () => {
    for (const id of sample.checkpointIds) {
      const shapes = Object.fromEntries(
        db.checkpoints.get(id).tensors.map((tensor) => [tensor.name, tensor.shape]),
      );
      expect(shapes).toEqual({
        'torso.dense1.kernel': [100, 64],
        'torso.dense1.bias': [64],
        'torso.dense2.kernel': [64, 64],
        'torso.dense2.bias': [64],
        'policy.kernel': [64, 4],
        'policy.bias': [4],
        'value.kernel': [64, 1],
        'value.bias': [1],
      });
    }
  });

  it('concentrates the coin fine-tune’s change on its focus units, unlike the null control', () => {
    const base = db.checkpoints
      .readTensors(db.checkpoints.latestForRun(sample.runIds[0]!)!.id)
      .get('torso.dense2.kernel')!.data;
    const coin = db.checkpoints
      .readTensors(db.checkpoints.latestForRun(sample.runIds[1]!)!.id)
      .get('torso.dense2.kernel')!.data;
    const control = db.checkpoints
      .readTensors(db.checkpoints.latestForRun(sample.runIds[3]!)!.id)
      .get('torso.dense2.kernel')!.data;
    const inFocus = meanAbsDelta(base, coin, 64, (column) => column < 16);
    expect(inFocus).toBeGreaterThan(5 * meanAbsDelta(base, coin, 64, (column) => column >= 16));
    expect(inFocus).toBeGreaterThan(20 * meanAbsDelta(base, control, 64, () => true));
  });

  it('logs four learning curves every 2048 steps up to about 200k steps', () => {
    for (const runId of sample.runIds) {
      expect(db.metrics.keys(runId)).toEqual(
        [METRIC_KEYS.episodicReturn, METRIC_KEYS.success, METRIC_KEYS.entropy, METRIC_KEYS.valueLoss].sort(),
      );
      const success = db.metrics.series(runId, METRIC_KEYS.success);
      expect(success.steps.length).toBe(98);
      expect(success.steps[0]).toBe(2048);
      expect(success.steps[97]).toBe(200_704);
      expect(success.values.every((value) => value >= 0 && value <= 1)).toBe(true);
    }
    const pretrainReturn = db.metrics.series(sample.runIds[0]!, METRIC_KEYS.episodicReturn).values;
    expect(pretrainReturn[97]!).toBeGreaterThan(pretrainReturn[0]! + 0.5);
  });

  it('is deterministic, and the command-line form writes the same weights', () => {
    const out = join(temp.dir, 'from-cli.deltascope');
    const result = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, out], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(sample);
    const again = openDatabase(out);
    try {
      const hashes = (d: DeltascopeDb) => sample.checkpointIds.map((id) => d.checkpoints.get(id).sha256);
      expect(hashes(again)).toEqual(hashes(db));
    } finally {
      again.close();
    }
    const refused = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, out], { encoding: 'utf8' });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('already exists');
  });
});
