import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/api';
import { buildProtocolReport } from '../../../src-main/api/protocol/protocol-report';
import { runCli } from '../../../src-main/cli/main';
import { computeKnownAnswerChecks } from '../../../src-main/api/protocol/protocol-checks';
import { DEFAULT_SPIKE_IN_STAGES, precisionAtK } from '../../../src-main/protocol/spike-in';
import { createTrainingRun, parseTrainingSpec } from '../../../src-main/jobs';
import {
  completeNode,
  createProtocolExperiment,
  loadProtocol,
  readNodeStates,
} from '../../../src-main/jobs/protocol/protocol-store';
import { runTraining } from '../../../src-main/jobs/training-run';
import { nodeIds, trainingSpecOfNode } from '../../../src-main/protocol';
import { decodeArtifact } from '../../../src-main/shared';
import type { KnownAnswerChecksResult } from '../../../src-main/shared/known-answer-checks';
import { createDatabase, openDatabase, type DeltascopeDb } from '../../../src-main/store';
import { useApiService } from '../../helpers/api-service';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

/**
 * The known-answer checks on a small real configuration: MA, three RB fine-tunes and two null controls
 * of one replication trained by PPO (5×5 maze, egocentric view, MLP), unrestricted; then
 * protocol.knownAnswerChecks through the API (its compute thread) stores both checks and a verdict.
 */

let path: string;
let experimentId: number;

/** Trains every training node of replication `seed` that the checks read (pretrain, fine-tunes, nulls). */
async function trainReplication(db: DeltascopeDb, id: number, seed: number): Promise<void> {
  const { spec, graph } = loadProtocol(db, id);
  const wanted = new Set([
    nodeIds.pretrain(seed),
    ...spec.rbs.map((rb) => nodeIds.finetune(seed, rb.name)),
    ...Array.from({ length: spec.nullControls }, (_, k) => nodeIds.null(seed, k)),
  ]);
  const control = { cancelled: () => false, yield: () => Promise.resolve() };
  for (const node of graph.nodes) {
    if (!wanted.has(node.id) || node.params.kind !== 'train') continue;
    const from = node.params.initFrom;
    const initCheckpointId = from === null ? null : readNodeStates(db, id).get(from)!.outputs.checkpointId!;
    const run = createTrainingRun(
      db,
      parseTrainingSpec(trainingSpecOfNode(spec, graph, node, { initCheckpointId, maskArtifactId: null })),
    );
    const outcome = await runTraining(db, run.id, control, () => undefined);
    completeNode(db, id, node.id, () => ({ runId: run.id, checkpointId: outcome.checkpointId! }));
  }
}

const api = useApiService(
  'known-answer-checks',
  async (dir) => {
    path = join(dir, 'checks.deltascope');
    const db = createDatabase(path);
    try {
      const created = createProtocolExperiment(
        db,
        tinyExperiment({
          name: 'checks',
          env: { size: 5, kinds: ['cheese', 'coin', 'red_gem', 'blue_gem'], horizon: 16, view: 'egocentric' },
          rbs: [
            { name: 'coin', collect: { coin: 1 } },
            { name: 'red', collect: { red_gem: 1 } },
            { name: 'blue', collect: { blue_gem: 1 } },
          ],
          nullControls: 2,
          alphas: [1],
          aggregators: ['mean', 'median', 'sign-agreement', 'null-normalized'],
          pretrainSteps: 2048,
          finetuneSteps: 2048,
        }),
      );
      experimentId = created.experimentId;
      await trainReplication(db, experimentId, created.spec.seedBase);
    } finally {
      db.close();
    }
    return { open: path };
  },
  240_000,
);

describe('known-answer checks on a small trained configuration', () => {
  it('protocol.knownAnswerChecks runs both checks off the event loop, stores them and gives a verdict', async () => {
    const result = await dispatch(api.service.handlers, 'protocol.knownAnswerChecks', { experimentId });
    if (!result.ok) throw new Error(result.error.message);
    const checks = result.result as KnownAnswerChecksResult;
    // On this configuration both checks pass: null-normalized sees the block at SNR 2, and each RB's
    // first-layer delta leans toward its own object's channel.
    expect(checks.spikeIn.pass).toBe(true);
    expect(checks.spikeIn.aggregators.find((a) => a.aggregator === 'null-normalized')!.pass).toBe(true);
    expect(checks.groundTruth!.pass).toBe(true);
    expect(checks.pass).toBe(true);
    for (const rb of checks.groundTruth!.rbs) expect(rb.ownShare!).toBeGreaterThan(rb.othersShare! * 1.2);
    expect(checks.spikeIn.snrs).toEqual([8, 4, 2, 1, 0.5, 0.25, 0]);
    expect(checks.spikeIn.aggregators.map((a) => a.aggregator)).toEqual([
      'mean',
      'median',
      'sign-agreement',
      'null-normalized',
    ]);
    expect(checks.groundTruth).not.toBeNull();
    const db = openDatabase(path);
    try {
      const stored = decodeArtifact('protocol-spike-in', db.artifacts.get(checks.spikeInArtifactId));
      expect(stored.data).toEqual(checks.spikeIn);
      const truth = decodeArtifact('protocol-ground-truth', db.artifacts.get(checks.groundTruthArtifactId!));
      expect(truth.data.rbs.map((r) => r.kind)).toEqual(['coin', 'red_gem', 'blue_gem']);
    } finally {
      db.close();
    }
  });

  it('FAILS on the same checkpoints when one stage is broken: the block scored where it was not planted, the channels read one object off', () => {
    const db = openDatabase(path);
    try {
      const broken = computeKnownAnswerChecks(
        db,
        { experimentId },
        {
          spikeIn: {
            ...DEFAULT_SPIKE_IN_STAGES,
            score: (map, block) => precisionAtK(map, { ...block, start: block.start + block.length }),
          },
          layout: (layout) => ({
            ...layout,
            channels: [...layout.channels.slice(0, 2), ...layout.channels.slice(2).reverse()],
          }),
        },
      );
      expect(broken.spikeIn.pass).toBe(false);
      expect(broken.groundTruth!.pass).toBe(false);
      expect(broken.pass).toBe(false);
      const noise = computeKnownAnswerChecks(
        db,
        { experimentId },
        {
          spikeIn: {
            ...DEFAULT_SPIKE_IN_STAGES,
            aggregate: (_choice, deltas) =>
              new Map(
                [...deltas[0]!.map.values()].map((t, i) => [
                  t.name,
                  { ...t, data: Float32Array.from(t.data, (_, j) => Math.abs(Math.sin(i * 7919 + j))) },
                ]),
              ),
          },
        },
      );
      expect(noise.spikeIn.pass).toBe(false);
      expect(noise.spikeIn.verdict).toMatch(/no aggregator reached/);
    } finally {
      db.close();
    }
  });

  it('`deltascope report --known-answer` checks every replication, and the report pools them (1 of 1: not replicated) with the detection curve', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const html = join(api.dir, 'checks-report.html');
    const code = await runCli(
      ['report', String(experimentId), '--db', path, '--out', html, '--known-answer', '--force'],
      { out: (line) => out.push(line), err: (line) => err.push(line) },
    );
    expect(err.join('\n')).toBe('');
    expect(code).toBe(0);
    expect(out[0]).toMatch(
      /^Known-answer checks, seed 1 \(1\/1, [\d.]+ s\): spike-in pass, ground truth pass$/,
    );
    const db = openDatabase(path);
    try {
      const report = buildProtocolReport(db, experimentId);
      expect(report.seeds[0]!.spikeIn?.pass).toBe(true);
      const known = report.verdicts.find((v) => v.question === 'known-answer')!;
      expect(known.kind).toBe('note');
      expect(known.text).toContain('1 of 1 replication checked');
      expect(known.text).toContain('Not replicated');
    } finally {
      db.close();
    }
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Known-answer checks, per replication</h2>');
    expect(page).toContain('aria-label="Spike-in detection curve over 1 replication(s)');
    expect(page).toContain('null-normalized detects down to');
  });

  it('refuses an experiment whose fine-tunes are masked to one tensor (true by construction)', async () => {
    const db = openDatabase(path);
    let masked: number;
    try {
      masked = createProtocolExperiment(
        db,
        tinyExperiment({ name: 'masked', knownAnswer: { tensor: 'policy.kernel' } }),
      ).experimentId;
    } finally {
      db.close();
    }
    const result = await dispatch(api.service.handlers, 'protocol.knownAnswerChecks', {
      experimentId: masked,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/masks its fine-tunes to `policy.kernel`/);
  });
});
