import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type {
  EpisodeRecording,
  EpisodeScan,
  EvaluationRecord,
  EvaluationSummary,
  VisitationResult,
} from '../../../src-main/shared/contract-evaluation';
import { openDatabase } from '../../../src-main/store';
import { writeEvaluationDatabase, type EvaluationDatabase } from '../../fixtures/evaluation-db';
import { useApiService } from '../../helpers/api-service';

let fixture: EvaluationDatabase;
let dbPath: string;
const api = useApiService('evaluation-api', (dir) => {
  dbPath = join(dir, 'eval.deltascope');
  fixture = writeEvaluationDatabase(dbPath);
  return { open: dbPath };
});
const { call, fail: failure } = api;

describe('evaluation over the API', () => {
  let saved: EvaluationRecord;

  it('eval.run evaluates a trained checkpoint with its run config, stores it and announces the write', async () => {
    api.events.length = 0;
    saved = await call<EvaluationRecord>('eval.run', {
      checkpointId: fixture.trainedCheckpointId,
      episodes: 48,
    });
    expect(saved.id).not.toBeNull();
    expect(saved.backend).toMatch(/^(node-gpu|node|cpu|wasm(\+OpenBLAS.*)?)$/);
    expect(saved.result.episodes).toBe(48);
    expect(saved.result.policy).toBe('greedy');
    expect(saved.result.rewards.map((r) => r.name)).toEqual(['RA', 'coin']);
    expect(saved.result.trainReward).toBe('RA');
    expect(saved.result.perEpisode.length).toHaveLength(48);
    expect(
      api.events.some(
        (e) => e.event === 'db.changed' && (e.payload as { reason: string }).reason === 'written',
      ),
    ).toBe(true);
    const db = openDatabase(dbPath);
    try {
      const artifact = db.artifacts.list().find((a) => a.id === saved.id);
      expect(artifact?.kind).toBe('evaluation');
      expect((artifact?.recipe as { checkpointId: number }).checkpointId).toBe(fixture.trainedCheckpointId);
    } finally {
      db.close();
    }
  });

  it('is deterministic: re-running without saving gives the same result', async () => {
    const again = await call<EvaluationRecord>('eval.run', {
      checkpointId: fixture.trainedCheckpointId,
      episodes: 48,
      save: false,
    });
    expect(again.id).toBeNull();
    expect(again.result).toEqual(saved.result);
  });

  it('eval.list and eval.get return what was stored', async () => {
    const byCheckpoint = await call<EvaluationSummary[]>('eval.list', {
      checkpointId: fixture.trainedCheckpointId,
    });
    expect(byCheckpoint.map((s) => s.id)).toEqual([saved.id]);
    expect(byCheckpoint[0]!.result).not.toHaveProperty('perEpisode');
    expect(byCheckpoint[0]!.result.rewards).toEqual(saved.result.rewards);
    expect((await call<EvaluationSummary[]>('eval.list', { runId: fixture.trainedRunId })).length).toBe(1);
    expect(await call<EvaluationSummary[]>('eval.list', { runId: fixture.legacyRunId })).toEqual([]);
    const got = await call<EvaluationRecord>('eval.get', { evaluationId: saved.id });
    expect(got).toEqual(saved);
  });

  it('asks for the env of a run whose config lacks it, and evaluates with an explicit setup', async () => {
    const missing = await failure('eval.run', { checkpointId: fixture.legacyCheckpointId, episodes: 8 });
    expect(missing.code).toBe('INVALID_SPEC');
    expect(missing.message).toMatch(/no `env` in its config.*setup\.env/);
    const record = await call<EvaluationRecord>('eval.run', {
      checkpointId: fixture.legacyCheckpointId,
      episodes: 32,
      policy: 'sampled',
      setup: { env: { size: 7 } },
      save: false,
    });
    // Rewards fall back to the run's own reward; the net shape is read off the checkpoint.
    expect(record.result.rewards.map((r) => r.name)).toEqual(['RA']);
    expect(record.result.kinds.map((k) => k.kind)).toEqual(['cheese', 'coin']);
  });

  it('names the mismatch when the setup env does not fit the checkpoint', async () => {
    const error = await failure('eval.run', {
      checkpointId: fixture.legacyCheckpointId,
      setup: { env: { size: 9 } },
    });
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain('196');
    expect(error.message).toContain('4×9×9 = 324');
  });

  it('refuses invalid requests and unknown ids', async () => {
    expect(
      (await failure('eval.run', { checkpointId: fixture.trainedCheckpointId, policy: 'random' })).code,
    ).toBe('INVALID_PAYLOAD');
    expect((await failure('eval.run', { checkpointId: 999 })).code).toBe('NOT_FOUND');
    expect((await failure('eval.get', { evaluationId: 999 })).code).toBe('NOT_FOUND');
  });

  it('episodes.record returns the frames of one episode with the checkpoint’s π and V', async () => {
    const rec = await call<EpisodeRecording>('episodes.record', {
      checkpointId: fixture.trainedCheckpointId,
      mazeSeed: 5,
    });
    expect(rec.frames).toHaveLength(64);
    expect(rec.trail).toHaveLength(65);
    const e2 = Math.exp(2);
    rec.frames.forEach((frame) => {
      expect(frame.action).toBe(3);
      expect(frame.probs[3]).toBeCloseTo(e2 / (3 + e2), 5);
      expect(frame.value).toBeCloseTo(0.5, 5);
    });
  });

  it('episodes.scan plays the mazes of episodes.record with each checkpoint and lists what each collected', async () => {
    const scan = await call<EpisodeScan>('episodes.scan', {
      checkpointIds: [fixture.trainedCheckpointId, fixture.trainedCheckpointId],
      fromMazeSeed: 3,
      mazes: 4,
    });
    expect(scan.mazes.map((maze) => maze.mazeSeed)).toEqual([3, 4, 5, 6]);
    const rec = await call<EpisodeRecording>('episodes.record', {
      checkpointId: fixture.trainedCheckpointId,
      mazeSeed: 5,
    });
    const collected = rec.kinds.filter((kind) => rec.outcome.collectedAtStep[kind] !== undefined);
    for (const outcome of scan.mazes[2]!.outcomes) {
      expect(outcome).toEqual({
        checkpointId: fixture.trainedCheckpointId,
        length: rec.outcome.length,
        collected,
        returns: rec.outcome.returns,
        success: rec.outcome.success,
      });
    }
    expect(scan.kinds).toEqual(rec.kinds);
    expect(await failure('episodes.scan', { checkpointIds: [], mazes: 4 })).toMatchObject({
      code: 'INVALID_PAYLOAD',
    });
  });

  it('episodes.visitation returns a heatmap of one maze', async () => {
    const heat = await call<VisitationResult>('episodes.visitation', {
      checkpointId: fixture.trainedCheckpointId,
      mazeSeed: 5,
      policy: 'sampled',
    });
    expect(heat.mode).toBe('fixed-maze');
    expect(heat.counts).toHaveLength(49);
    expect(heat.visits).toBe(heat.episodes * 65);
  });
});
