import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainingRun, parseTrainingSpec, trainableMaskArtifact } from '../../../src-main/jobs';
import { runTraining } from '../../../src-main/jobs/training-run';
import { DeltascopeError } from '../../../src-main/shared';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { TINY_BATCH, tinySpec } from './jobs-test-helpers';

/** The training loop run in this process (the worker's code without the process around it). */
const control = { cancelled: () => false, yield: () => Promise.resolve() };

const temp = makeTempDir('jobs-finetune');
let db: DeltascopeDb;
let pretrainFinal: number;

beforeAll(async () => {
  db = createDatabase(join(temp.dir, 'finetune.deltascope'));
  const run = createTrainingRun(db, parseTrainingSpec(tinySpec({ run: 'MA', totalSteps: TINY_BATCH * 4 })));
  const outcome = await runTraining(db, run.id, control, () => undefined);
  pretrainFinal = outcome.checkpointId!;
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

async function train(overrides: Parameters<typeof tinySpec>[0]): Promise<number> {
  const run = createTrainingRun(db, parseTrainingSpec(tinySpec(overrides)));
  await runTraining(db, run.id, control, () => undefined);
  return run.id;
}

async function failure(overrides: Parameters<typeof tinySpec>[0]): Promise<DeltascopeError> {
  const run = createTrainingRun(db, parseTrainingSpec(tinySpec(overrides)));
  const error = await runTraining(db, run.id, control, () => undefined).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DeltascopeError);
  return error as DeltascopeError;
}

describe('fine-tuning from a stored checkpoint', () => {
  it('starts from the checkpoint’s exact weights and updates only the elements its trainable mask allows', async () => {
    const init = db.checkpoints.readTensors(pretrainFinal);
    const dense = init.get('torso.dense1.kernel')!;
    // Train every other element of the first layer; freeze the policy head entirely.
    const denseMask = Float32Array.from(dense.data, (_, i) => i % 2);
    const policyMask = new Float32Array(init.get('policy.kernel')!.data.length);
    const { id: artifactId } = db.artifacts.put(
      trainableMaskArtifact(null, 'half of dense1, no policy', [
        { name: 'torso.dense1.kernel', shape: dense.shape, data: denseMask },
        { name: 'policy.kernel', shape: init.get('policy.kernel')!.shape, data: policyMask },
      ]),
    );

    const runId = await train({
      run: 'MB-coin',
      phase: 'finetune',
      trainReward: 'RB',
      totalSteps: TINY_BATCH * 4,
      init: { checkpointId: pretrainFinal },
      trainableMask: { artifactId },
    });
    const run = db.runs.getNode(runId);
    expect(run).toMatchObject({ status: 'done', parentCheckpointId: pretrainFinal, reward: { name: 'RB' } });
    expect(run.checkpoints[0]).toMatchObject({ step: 0, label: 'init', parentCheckpointId: pretrainFinal });
    expect(run.checkpoints[0]!.sha256).toBe(db.checkpoints.get(pretrainFinal).sha256);
    expect(run.checkpoints[0]!.provenance.inputs).toEqual([pretrainFinal]);

    const final = db.checkpoints.readTensors(run.checkpoints.at(-1)!.id);
    const before = new Uint32Array(dense.data.slice().buffer);
    const after = new Uint32Array(final.get('torso.dense1.kernel')!.data.slice().buffer);
    const frozenChanged = before.filter((bits, i) => i % 2 === 0 && bits !== after[i]).length;
    const trainableChanged = before.filter((bits, i) => i % 2 === 1 && bits !== after[i]).length;
    expect(frozenChanged).toBe(0);
    // Inputs that are always 0 (border walls) get no gradient, so not every trainable element moves.
    expect(trainableChanged).toBeGreaterThan(0);
    expect(final.get('policy.kernel')!.data).toEqual(init.get('policy.kernel')!.data);
    expect(final.get('value.kernel')!.data).not.toEqual(init.get('value.kernel')!.data);
  });

  it('names the checkpoint and tensor when the network does not fit the init checkpoint', async () => {
    const error = await failure({
      run: 'wide',
      net: { hidden: [32] },
      init: { checkpointId: pretrainFinal },
    });
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain(`checkpoint ${pretrainFinal} cannot initialise this network (spec.init)`);
    expect(error.message).toContain('torso.dense1.kernel');
  });

  it('names the tensor when a mask does not fit the network', async () => {
    const { id } = db.artifacts.put(
      trainableMaskArtifact(null, 'wrong', [
        { name: 'torso.dense9.kernel', shape: [2], data: new Float32Array([1, 0]) },
      ]),
    );
    const error = await failure({
      run: 'bad-mask',
      init: { checkpointId: pretrainFinal },
      trainableMask: { artifactId: id },
    });
    expect(error.message).toContain('torso.dense9.kernel');
  });
});
