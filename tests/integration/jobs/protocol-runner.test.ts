import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProtocolReport } from '../../../src-main/api/protocol/protocol-report';
import { ProtocolRunner } from '../../../src-main/jobs/protocol/protocol-runner';
import {
  checkpointMap,
  createProtocolExperiment,
  readNodeStates,
} from '../../../src-main/jobs/protocol/protocol-store';
import { readTrainableMask } from '../../../src-main/jobs/trainable-mask';
import {
  GRADIENT_MOVABLE_RULE,
  nonZeroSet,
  PROTOCOL_ARTIFACT_KINDS,
  type KnownAnswerCheck,
  type LocalizationTable,
  type NegationTable,
  type UpdateSignals,
} from '../../../src-main/protocol';
import {
  decodeArtifact,
  decodeArtifactHead,
  type ArtifactKind,
  type EventPayload,
} from '../../../src-main/shared';
import { createDatabase, openDatabase, type DeltascopeDb } from '../../../src-main/store';
import { tensorMapFromManifest } from '../../../src-main/weights';
import { makeTempDir } from '../../helpers/temp-dir';
import { sourceQueue, tinyExperiment } from './protocol-test-helpers';

const temp = makeTempDir('protocol');
afterAll(() => temp.cleanup());

function jsonOf<T>(db: DeltascopeDb, kind: ArtifactKind, experimentId: number): T[] {
  return db.artifacts
    .list(experimentId)
    .filter((a) => a.kind === kind)
    .map((a) => decodeArtifact(kind, db.artifacts.get(a.id)).data as T);
}

/** Every number reachable in a JSON value (nulls allowed, NaN/∞ not). */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(numbersIn);
  return [];
}

describe('the objective-isolation protocol runner', () => {
  it('runs the whole tiny graph, stores every analysis with the right shapes, and finds a planted tensor', async () => {
    const path = join(temp.dir, 'full.deltascope');
    const db = createDatabase(path);
    const { experimentId, graph } = createProtocolExperiment(
      db,
      tinyExperiment({
        name: 'known-answer',
        knownAnswer: { tensor: 'policy.kernel' },
        alphas: [0, 1],
        positiveControl: true,
        recoveryCriterion: { margin: 0.03, maxSteps: 128, checkEvery: 64, episodes: 16 },
      }),
    );
    db.close();
    const queue = sourceQueue();
    const progress: EventPayload<'job.progress'>[] = [];
    const summary = await new ProtocolRunner(path, experimentId, {
      queue,
      emit: (event, payload) => {
        if (event === 'job.progress') progress.push(payload as EventPayload<'job.progress'>);
      },
    }).run();
    await queue.dispose();
    expect(summary.failed).toEqual([]);
    expect(summary.done).toBe(graph.nodes.length);
    expect(progress.at(-1)).toMatchObject({
      done: graph.nodes.length,
      total: graph.nodes.length,
      unit: 'nodes',
    });

    const reopened = openDatabase(path);
    try {
      const [signals] = jsonOf<UpdateSignals>(reopened, PROTOCOL_ARTIFACT_KINDS.updateSignals, experimentId);
      expect(signals!.deltas.map((d) => [d.label, d.role])).toEqual([
        ['coin', 'rb'],
        ['gem', 'rb'],
        ['null-0', 'null'],
      ]);
      expect(signals!.cosine).toHaveLength(3);
      expect(signals!.cosine.every((row) => row.length === 3)).toBe(true);
      expect(signals!.cosine[0]![0]).toBeCloseTo(1, 6);
      expect(signals!.deltas[0]!.perTensor).toHaveLength(signals!.tensors.length);
      // Masked fine-tunes change the planted tensor only.
      const planted = signals!.tensors.findIndex((t) => t.name === 'policy.kernel');
      for (const delta of signals!.deltas) {
        delta.perTensor.forEach((stats, t) =>
          t === planted ? expect(stats.l2).toBeGreaterThan(0) : expect(stats.l2).toBe(0),
        );
      }

      const [negation] = jsonOf<NegationTable>(reopened, PROTOCOL_ARTIFACT_KINDS.negation, experimentId);
      // 2 RBs × 5 variants (negate, add and the random, null and other controls) × 2 alphas, and the
      // positive control of each RB.
      expect(negation!.rows).toHaveLength(22);
      expect(negation!.rows.filter((r) => r.variant === 'positive').map((r) => r.rb)).toEqual([
        'coin',
        'gem',
      ]);
      // Every recovery of its own ran to criterion (or its cap) and recorded its curve from step 0.
      for (const r of negation!.rows.filter((r) => r.alpha !== 0)) {
        expect(r.recovery!.curve[0]!.step).toBe(0);
        expect(r.recovery!.steps).toBeLessThanOrEqual(128);
        expect(Object.keys(r.recovery!.curve[0]!.collect).sort()).toEqual(['cheese', 'coin', 'red_gem']);
        if (!r.recovery!.reachedCriterion) expect(r.recovery!.steps).toBe(128);
      }
      // α = 0 is MA itself: no recovery of its own, the control's (so the difference is exactly 0)
      for (const zero of negation!.rows.filter((r) => r.alpha === 0)) {
        expect(zero.recoveredCheckpointId).toBe(negation!.control.checkpointId);
        expect(zero.afterVsControl.raReturn.estimate).toBe(0);
      }
      const row = negation!.rows.find((r) => r.rb === 'coin' && r.variant === 'negate' && r.alpha === 1)!;
      expect(row.before.targetCollect!.low).toBeLessThanOrEqual(row.before.targetCollect!.estimate);
      expect(row.afterVsRandom).not.toBeNull();
      expect(
        negation!.rows.filter((r) => r.variant === 'random').every((r) => r.afterVsRandom === null),
      ).toBe(true);
      expect(numbersIn(negation).every(Number.isFinite)).toBe(true);

      const [superposition] = jsonOf<{
        seed: number;
        rbInputs: { checkpointId: number }[];
        nullInputs: { checkpointId: number }[];
        maps: { aggregator: string; artifactId: number; concentration: { share: number }[] }[];
      }>(reopened, PROTOCOL_ARTIFACT_KINDS.superposition, experimentId);
      expect(superposition!.maps.map((m) => m.aggregator)).toEqual([
        'mean',
        'median',
        'sign-agreement',
        'ties',
        'dare',
        'null-normalized',
      ]);
      for (const map of superposition!.maps) {
        expect(map.concentration.reduce((sum, c) => sum + c.share, 0)).toBeCloseTo(1, 6);
        expect(reopened.artifacts.get(map.artifactId).kind).toBe(PROTOCOL_ARTIFACT_KINDS.relevanceMap);
      }
      expect(numbersIn(superposition).every(Number.isFinite)).toBe(true);
      // Each map names the replication and the exact checkpoints it was built from.
      const nullNormalized = superposition!.maps.find((m) => m.aggregator === 'null-normalized')!;
      const { recipe } = decodeArtifactHead(
        PROTOCOL_ARTIFACT_KINDS.relevanceMap,
        reopened.artifacts.get(nullNormalized.artifactId),
      );
      expect(recipe.protocol?.seed).toBe(superposition!.seed);
      expect(recipe.nullInputs).toEqual(superposition!.nullInputs.map((n) => n.checkpointId));
      expect(recipe.inputs).toEqual(superposition!.rbInputs.map((n) => n.checkpointId));
      expect(recipe.params).toMatchObject({ floorFraction: 0.1 });

      const [check] = jsonOf<KnownAnswerCheck>(reopened, PROTOCOL_ARTIFACT_KINDS.knownAnswer, experimentId);
      expect(check!.plantedTensor).toBe('policy.kernel');
      expect(check!.aggregators.map((a) => a.topTensor)).toEqual(Array(6).fill('policy.kernel'));
      expect(check!.pass).toBe(true);
    } finally {
      reopened.close();
    }
  }, 240_000);

  it('resumes a stopped experiment without redoing finished nodes', async () => {
    const path = join(temp.dir, 'resume.deltascope');
    const db = createDatabase(path);
    const { experimentId, graph } = createProtocolExperiment(
      db,
      tinyExperiment({
        name: 'resume',
        alphas: [1],
        finetuneSteps: 64 * 30,
        localization: {
          rbNew: { name: 'both', collect: { coin: 1, red_gem: 1 } },
          kPercents: [20],
          steps: 128,
          randomMasks: 3,
        },
      }),
    );
    db.close();

    // Stop while the coin fine-tune is mid-run (its first progress), so that its run is cut short.
    let first: ProtocolRunner | null = null;
    const queue = sourceQueue(2, (event, payload) => {
      const progress = payload as EventPayload<'job.progress'>;
      if (
        event === 'job.progress' &&
        progress.label.includes('s1/finetune/coin') &&
        progress.done < progress.total
      ) {
        first?.stop();
      }
    });
    first = new ProtocolRunner(path, experimentId, { queue });
    const stopped = await first.run();
    expect(stopped.stopped).toBe(true);
    expect(stopped.done).toBeGreaterThanOrEqual(1);
    expect(stopped.done).toBeLessThan(graph.nodes.length);
    const coinRun = (): { status: string; lastStep: number | null } => {
      const store = openDatabase(path);
      try {
        return store.runs.listByExperiment(experimentId).find((run) => run.name === 's1/finetune/coin')!;
      } finally {
        store.close();
      }
    };
    expect(coinRun().status).toBe('cancelled');
    expect(coinRun().lastStep).toBeLessThan(64 * 30);

    const resumed = await new ProtocolRunner(path, experimentId, { queue }).run();
    await queue.dispose();
    expect(resumed.failed).toEqual([]);
    expect(resumed.done).toBe(graph.nodes.length);
    expect(resumed.doneNow).toBe(graph.nodes.length - stopped.done);
    expect(coinRun()).toMatchObject({ status: 'done', lastStep: 64 * 30 });

    const reopened = openDatabase(path);
    try {
      // One state per node, and one run per training node: nothing was done twice.
      const nodeArtifacts = reopened.artifacts
        .list(experimentId)
        .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node);
      expect(nodeArtifacts).toHaveLength(graph.nodes.length);
      expect(readNodeStates(reopened, experimentId).size).toBe(graph.nodes.length);
      const trainNodes = graph.nodes
        .filter((n) => n.params.kind === 'train')
        .map((n) => n.id)
        .sort();
      const runNames = reopened.runs
        .listByExperiment(experimentId)
        .filter((run) => run.phase !== 'derived')
        .map((run) => run.name)
        .sort();
      expect(runNames).toEqual(trainNodes);
      expect(jsonOf(reopened, PROTOCOL_ARTIFACT_KINDS.negation, experimentId)).toHaveLength(1);
      const [localization] = jsonOf<LocalizationTable>(
        reopened,
        PROTOCOL_ARTIFACT_KINDS.localization,
        experimentId,
      );
      expect(localization!.rows.map((r) => [r.selection, r.kPercent, r.draw ?? null])).toEqual([
        ['top', 20, null],
        ['random', 20, 0],
        ['random', 20, 1],
        ['random', 20, 2],
        ['bottom', 20, null],
        ['null-drift', 20, null],
        ['saliency', 20, null],
        ['fisher', 20, null],
      ]);
      // Masks are drawn among the movable parameters: those with a non-zero gradient (or Fisher) of the
      // RB_new objective at MA, measured by the gradient node over one batch of rollouts.
      const ma = checkpointMap(reopened, localization!.base.checkpointId);
      const states = readNodeStates(reopened, experimentId);
      const gradientIds = states.get('s1/analysis/gradient')!.outputs.artifactIds!;
      const gradientContents = gradientIds.map((id) =>
        decodeArtifact('relevance-map', reopened.artifacts.get(id)),
      );
      expect(gradientContents.map((c) => c.recipe.aggregator)).toEqual(['gradient-saliency', 'fisher']);
      const gradientMaps = gradientContents.map((c, i) =>
        tensorMapFromManifest(c.manifest.entries, c.data, `artifact ${gradientIds[i]}`),
      );
      const movable = nonZeroSet(gradientMaps);
      let count = 0;
      for (const flags of movable.values()) for (const f of flags) count += f;
      expect(localization!.movableRule).toBe(GRADIENT_MOVABLE_RULE);
      // Inputs that never vary have a zero gradient: the movable set is a strict subset.
      const total = [...ma.values()].reduce((sum, t) => sum + t.data.length, 0);
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThan(total);
      // Top-k against the 3 random draws: a permutation p-value and a band; paired differences.
      expect(localization!.randomNull).toHaveLength(1);
      expect(localization!.randomNull![0]).toMatchObject({ kPercent: 20, draws: 3 });
      expect([0.25, 0.5, 0.75, 1]).toContain(localization!.randomNull![0]!.pValue);
      expect(localization!.paired!.map((p) => p.versus)).toEqual([
        'random',
        'null-drift',
        'saliency',
        'fisher',
      ]);
      for (const row of localization!.rows) {
        expect(row.movable).toBe(count);
        expect(row.selected).toBe(Math.ceil(0.2 * count));
        expect(reopened.artifacts.get(row.maskArtifactId).kind).toBe('trainable-mask');
        const mask = readTrainableMask(reopened, row.maskArtifactId);
        const trained = checkpointMap(reopened, row.checkpointId);
        let inMask = 0;
        let changed = 0;
        for (const [name, flags] of Object.entries(mask)) {
          flags.forEach((on, i) => {
            if (on !== 1) return;
            inMask += 1;
            expect(movable.get(name)![i]).toBe(1);
            if (trained.get(name)!.data[i] !== ma.get(name)!.data[i]) changed += 1;
          });
        }
        // Non-empty, and the masked fine-tune (bottom-k included) changes some of its parameters.
        expect(inMask).toBe(row.selected);
        expect(changed, `${row.selection} ${row.kPercent}%`).toBeGreaterThan(0);
      }
      expect(numbersIn(localization).every(Number.isFinite)).toBe(true);
      // The report pools the test across replications, each against its own full fine-tune (here one
      // replication: not replicated, and its pooled permutation p is its own).
      const report = buildProtocolReport(reopened, experimentId);
      const pooled = report.pooledLocalization!;
      expect(pooled.seeds).toEqual([1]);
      expect(pooled.fullGain).toMatchObject({ replications: 1, replicated: false });
      expect(pooled.fullGain.perReplication[0]).toBeCloseTo(localization!.full.gainOverBase.estimate, 9);
      const verdict = report.verdicts.find((v) => v.question === 'localization')!;
      expect(verdict.kind).toBe('note');
      if (pooled.excluded.length === 0) {
        const k = pooled.ks[0]!;
        expect(k.randomNull!.pValue).toBeCloseTo(localization!.randomNull![0]!.pValue, 12);
        expect(k.paired.map((p) => p.versus)).toEqual(['random', 'null-drift', 'saliency', 'fisher']);
        const top = localization!.rows.find((r) => r.selection === 'top')!.fractionOfFull!;
        expect(k.fractions[0]!.effect.perReplication[0]).toBeCloseTo(top.estimate, 9);
        expect(verdict.text).toContain('R = 1: not replicated');
      } else {
        expect(pooled.ks).toEqual([]);
        expect(verdict.text).toContain('did not raise the mean return');
      }
    } finally {
      reopened.close();
    }
  }, 240_000);

  it('records a failed node with its reason, blocks what depends on it, and leaves it failed until asked to retry', async () => {
    const path = join(temp.dir, 'failure.deltascope');
    const db = createDatabase(path);
    const { experimentId, graphArtifactId } = createProtocolExperiment(
      db,
      tinyExperiment({
        name: 'failure',
        knownAnswer: { tensor: 'torso.dense1.kernel' },
        nullControls: 0,
        aggregators: ['mean'],
      }),
    );
    db.close();
    // A node that fails when it runs: validation now refuses an unknown tensor in the spec, so the
    // stored graph's known-answer mask is pointed at one afterwards (as a graph from an older
    // version, or a network that changed under it, would be).
    const raw = new Database(path);
    const row = raw.prepare('SELECT data FROM artifacts WHERE id = ?').get(graphArtifactId) as {
      data: Buffer;
    };
    const patched = row.data
      .toString('utf8')
      .replace('"tensor":"torso.dense1.kernel"', '"tensor":"torso.nope.kernel"');
    expect(patched).toContain('torso.nope.kernel');
    raw
      .prepare('UPDATE artifacts SET data = ? WHERE id = ?')
      .run(Buffer.from(patched, 'utf8'), graphArtifactId);
    raw.close();
    const queue = sourceQueue();
    const first = await new ProtocolRunner(path, experimentId, { queue }).run();
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]!.nodeId).toBe('s1/mask');
    expect(first.failed[0]!.error).toContain('torso.nope.kernel');
    expect(first.blocked).toBeGreaterThan(0);
    expect(first.done + first.blocked + 1).toBe(first.total);

    const again = await new ProtocolRunner(path, experimentId, { queue }).run();
    expect(again.doneNow).toBe(0);
    expect(again.failed.map((f) => f.nodeId)).toEqual(['s1/mask']);
    const retried = await new ProtocolRunner(path, experimentId, { queue, retryFailed: true }).run();
    expect(retried.failed.map((f) => f.nodeId)).toEqual(['s1/mask']);
    // Retrying named nodes only: another name leaves the failed node alone; its own name runs it.
    const other = await new ProtocolRunner(path, experimentId, {
      queue,
      retryFailed: new Set(['s1/pretrain']),
    }).run();
    expect(other.failed.map((f) => f.nodeId)).toEqual(['s1/mask']);
    const named = await new ProtocolRunner(path, experimentId, {
      queue,
      retryFailed: new Set(['s1/mask']),
    }).run();
    await queue.dispose();
    expect(named.failed.map((f) => f.nodeId)).toEqual(['s1/mask']);
    const store = openDatabase(path);
    try {
      const states = store.artifacts
        .list(experimentId)
        .filter((a) => a.kind === PROTOCOL_ARTIFACT_KINDS.node && a.name === 's1/mask');
      // First run, retryFailed: true, and the retry naming it; the run naming another node left it.
      expect(states).toHaveLength(3);
    } finally {
      store.close();
    }
  }, 120_000);
});
