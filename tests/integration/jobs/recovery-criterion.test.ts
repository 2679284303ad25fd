import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainingRun, parseTrainingSpec } from '../../../src-main/jobs';
import { recoveryRecordOf } from '../../../src-main/jobs/recovery-record';
import { runTraining } from '../../../src-main/jobs/training-run';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { TINY_BATCH, tinySpec } from './jobs-test-helpers';

/**
 * Recovery to criterion on a tiny config: the run checks RA success on held-out episodes every
 * checkEvery steps (and at the start) and stops at the first check within the margin of the reference.
 */

const control = { cancelled: () => false, yield: () => Promise.resolve() };
const temp = makeTempDir('jobs-recovery-criterion');
let db: DeltascopeDb;

beforeAll(() => {
  db = createDatabase(join(temp.dir, 'recovery.deltascope'));
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

const CAP = TINY_BATCH * 12;
const EVERY = TINY_BATCH * 2;

async function recover(run: string, reference: number, margin: number) {
  const spec = tinySpec({
    run,
    phase: 'retrain',
    totalSteps: CAP,
    checkpointEvery: TINY_BATCH * 100,
    stopAtCriterion: {
      reward: 'RA',
      reference,
      margin,
      checkEvery: EVERY,
      episodes: 40,
      evalSeed: 5,
      policy: 'sampled',
    },
  });
  const created = createTrainingRun(db, parseTrainingSpec(spec));
  const outcome = await runTraining(db, created.id, control, () => undefined);
  return { outcome, record: recoveryRecordOf(db, created.id)!, status: db.runs.get(created.id).status };
}

describe('recovery to criterion', () => {
  it('runs to the cap when the criterion is out of reach, recording the curve at every check', async () => {
    const { outcome, record, status } = await recover('unreachable', 1, 0);
    expect(status).toBe('done');
    expect(outcome.step).toBe(CAP);
    expect(record.reachedCriterion).toBe(false);
    expect(record.steps).toBe(CAP);
    expect(record.curve.map((p) => p.step)).toEqual([0, 2, 4, 6, 8, 10, 12].map((k) => k * TINY_BATCH));
    expect(Object.keys(record.curve[0]!.collect).sort()).toEqual(['cheese', 'coin']);
  }, 120_000);

  it('stops at the first check whose success is within the margin, and at once when the start already is', async () => {
    const { record: full } = await recover('curve', 1, 0);
    const start = full.curve[0]!.success;
    const k = full.curve.findIndex((p) => p.success > start);
    expect(k).toBeGreaterThan(0);
    const target = full.curve[k]!;
    // Reference 0.03 above that check's success with margin 0.03: the same run (same seed) stops there.
    const { outcome, record, status } = await recover('to-margin', target.success + 0.03, 0.03);
    expect(status).toBe('done');
    expect(record.reachedCriterion).toBe(true);
    expect(outcome.step).toBe(target.step);
    expect(record.steps).toBe(target.step);
    expect(record.curve.map((p) => p.success)).toEqual(full.curve.slice(0, k + 1).map((p) => p.success));
    expect(db.checkpoints.latestForRun(record.runId)!.label).toBe('final');

    const atStart = await recover('met-at-start', 0, 0.03);
    expect(atStart.record).toMatchObject({ steps: 0, reachedCriterion: true });
    expect(atStart.record.curve).toHaveLength(1);
    expect(atStart.outcome.step).toBe(0);
  }, 120_000);
});
