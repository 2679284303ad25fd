import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNodeForkLauncher } from '../../../src-main/jobs';
import type {
  ProtocolPreset,
  ProtocolReport,
  ProtocolNodeLog,
  ProtocolStatus,
  ProtocolValidation,
  RewardSimilarityResult,
} from '../../../src-main/shared';
import { useApiService } from '../../helpers/api-service';
import { WORKER_BUNDLE } from '../jobs/jobs-test-helpers';
import { tinyExperiment } from '../jobs/protocol-test-helpers';

const api = useApiService('protocol-api', (dir) => ({
  jobLauncher: createNodeForkLauncher({ entry: WORKER_BUNDLE }),
  jobParallelism: 2,
  create: join(dir, 'protocol.deltascope'),
}));
const { call, fail: failure } = api;

/** Resolves once a job.state event of the protocol after events[from] says it ended. */
function ended(jobId: string, from = 0): Promise<string> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const last = api.events
        .slice(from)
        .filter((e) => e.event === 'job.state' && (e.payload as { jobId: string }).jobId === jobId)
        .at(-1);
      const state = (last?.payload as { state?: string } | undefined)?.state;
      if (state !== undefined && state !== 'running') {
        clearInterval(timer);
        resolve(state);
      }
    }, 50);
  });
}

describe('protocol design over the API', () => {
  it('protocol.validate names every invalid field of a spec', async () => {
    const result = await call<ProtocolValidation>('protocol.validate', {
      spec: tinyExperiment({
        rbs: [{ name: 'coin', collect: { gold: 1 } }, { name: 'coin' }],
        pretrainSteps: 10,
      }),
      estimate: false,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => e.path);
    expect(paths).toContain('rbs.0.collect.gold');
    expect(paths).toContain('rbs.1.name');
    expect(paths).toContain('pretrainSteps');
  });

  it('protocol.validate refuses values that would fail later and specs beyond the memory budget', async () => {
    const later = await call<ProtocolValidation>('protocol.validate', {
      spec: tinyExperiment({
        pretrainSteps: 9e15,
        ra: { name: 'RA', collect: { cheese: 1 }, stepCost: 1e308 },
      }),
      estimate: false,
    });
    // rbs.1 adds its component to RA, so RA's step cost overflows its reward too
    expect(later.ok ? [] : later.errors.map((e) => e.path)).toEqual([
      'ra.stepCost',
      'pretrainSteps',
      'rbs.1.addToRA',
    ]);
    const huge = await call<ProtocolValidation>('protocol.validate', {
      spec: tinyExperiment({
        ppo: { numEnvs: 4096, numSteps: 100_000, numMinibatches: 4096 },
        pretrainSteps: 1e12,
        finetuneSteps: 1e12,
        recoverySteps: 1e12,
      }),
      estimate: false,
    });
    expect(huge.ok).toBe(false);
    if (huge.ok) return;
    expect(huge.errors).toHaveLength(1);
    expect(huge.errors[0]!.path).toBe('ppo.numSteps');
    expect(huge.errors[0]!.message).toMatch(
      /^training needs an estimated 2 trainings at once × \d+\.\d GiB of memory — rollout buffers/,
    );
  });

  it('protocol.validate warns when recovery to criterion cannot keep the lean it tests', async () => {
    const perfect = await call<ProtocolValidation>('protocol.validate', {
      spec: tinyExperiment({ recoveryCriterion: { maxSteps: 256, checkEvery: 64 } }),
      estimate: false,
    });
    // A perfect 5×5 maze: an object often stands on the only path to the cheese.
    expect(perfect.ok && perfect.notes?.map((n) => [n.path, n.message.split(':')[0]])).toEqual([
      ['env.loops', expect.stringMatching(/^In \d+ % of mazes coin stands on every path to cheese/)],
      ['env.loops', expect.stringMatching(/^In \d+ % of mazes red_gem stands on every path to cheese/)],
    ]);
    const open = await call<ProtocolValidation>('protocol.validate', {
      spec: tinyExperiment({
        env: { size: 5, kinds: ['cheese', 'coin', 'red_gem'], horizon: 16, loops: 1 },
        recoveryCriterion: { maxSteps: 256, checkEvery: 64 },
      }),
      estimate: false,
    });
    expect(open.ok && open.notes).toEqual([]);
  });

  it('protocol.validate resolves a valid spec with node counts and a measured wall-time estimate', async () => {
    const result = await call<ProtocolValidation>('protocol.validate', { spec: tinyExperiment() });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec.confidence).toBe(0.95);
    expect(result.nodesByKind.train).toBe(result.trainingRuns);
    // 1 pretrain, 2 fine-tunes, 1 null, the control's recovery and 2 RBs × 5 variants × 2 α recoveries.
    expect(result.trainingRuns).toBe(25);
    expect(result.nodes).toBeGreaterThan(result.trainingRuns);
    expect(result.estimate!.stepsPerSecond).toBeGreaterThan(0);
    expect(result.estimate!.seconds).toBeGreaterThan(0);
    expect(result.estimate!.trainingSteps).toBe(256 + 2 * 128 + 128 + 64 * 21);
    expect(existsSync(join(api.dir, 'app-data', 'throughput-cache.json'))).toBe(true);
  });

  it('rewards.similarity flags an RB that overlaps RA', async () => {
    const result = await call<RewardSimilarityResult>('rewards.similarity', {
      env: { size: 5, kinds: ['cheese', 'coin'], horizon: 16 },
      rewards: [
        { name: 'RA', collect: { cheese: 1 } },
        { name: 'coin', collect: { coin: 1 } },
        { name: 'more-cheese', collect: { cheese: 1, coin: 0.1 } },
      ],
      samples: 2000,
    });
    expect(result.names).toEqual(['RA', 'coin', 'more-cheese']);
    expect(result.pearson[0]![0]).toBeCloseTo(1, 6);
    expect(result.epic[0]![2]).toBeLessThan(0.2);
    const overlaps = result.warnings.filter((w) => w.kind === 'overlap').map((w) => [w.a, w.b]);
    expect(overlaps).toContainEqual(['RA', 'more-cheese']);
    expect(overlaps).not.toContainEqual(['RA', 'coin']);
    expect(result.eventRates).toHaveLength(3);
  });

  it('protocol.presets lists the shipped presets, each valid', async () => {
    const presets = await call<ProtocolPreset[]>('protocol.presets', {});
    const tiny = presets.find((p) => p.id === 'tiny-5x5');
    expect(tiny?.errors).toBeNull();
    expect(tiny?.spec).toHaveProperty('rbs');
    expect(presets.map((p) => p.id)).toContain('demo');
  });
});

describe('running a protocol over the API', () => {
  let experimentId: number;

  it('protocol.start refuses an invalid spec and names the field', async () => {
    const error = await failure('protocol.start', { spec: tinyExperiment({ alphas: [0.5, 0.5] }) });
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.message).toContain('spec.alphas.1');
  });

  it('protocol.start runs the tiny spec in the background to completion, with progress and status', async () => {
    api.events.length = 0;
    const started = await call<{ experimentId: number; jobId: string }>('protocol.start', {
      spec: tinyExperiment({ name: 'api-tiny', alphas: [1] }),
    });
    experimentId = started.experimentId;
    expect(started.jobId).toBe(`protocol-${experimentId}`);
    const early = await call<ProtocolStatus>('protocol.status', { experimentId });
    expect(early.state).toBe('running');
    expect(early.nodes.find((n) => n.id === 's1/pretrain')?.kind).toBe('train');
    expect(await failure('protocol.resume', { experimentId })).toMatchObject({ code: 'ALREADY_RUNNING' });

    expect(await ended(started.jobId)).toBe('done');
    const status = await call<ProtocolStatus>('protocol.status', { experimentId });
    expect(status).toMatchObject({ state: 'done', failed: 0, running: 0 });
    expect(status.done).toBe(status.total);
    expect(status.nodes.every((n) => n.status === 'done')).toBe(true);
    expect(status.nodes.find((n) => n.id === 's1/pretrain')?.outputs.runId).toBeGreaterThan(0);
    // Every node knows when it started, no later than it finished.
    for (const node of status.nodes) {
      expect(node.startedAt, node.id).not.toBeNull();
      expect(Date.parse(node.startedAt!), node.id).toBeLessThanOrEqual(Date.parse(node.finishedAt!));
    }
    const progress = api.events.filter(
      (e) => e.event === 'job.progress' && (e.payload as { jobId: string }).jobId === started.jobId,
    );
    expect(progress.at(-1)?.payload).toMatchObject({
      done: status.total,
      total: status.total,
      unit: 'nodes',
    });

    const list = await call<{ experimentId: number; state: string }[]>('protocol.list', {});
    expect(list).toContainEqual(expect.objectContaining({ experimentId, state: 'done' }));
  }, 120_000);

  it('protocol.report returns the analyses, success figures and statements', async () => {
    const report = await call<ProtocolReport>('protocol.report', { experimentId });
    expect(report.progress.complete).toBe(true);
    expect(report.similarity?.names).toEqual(['RA', 'coin', 'gem']);
    expect(report.runs.map((r) => r.role)).toContain('pretrain');
    const [seed] = report.seeds;
    // 2 RBs × (negate, add, random, null, other) at α = 1.
    expect(seed!.negation!.rows).toHaveLength(2 * 5);
    expect(seed!.superposition!.maps.length).toBeGreaterThan(0);
    expect(seed!.success.map((s) => s.subject)).toEqual(
      expect.arrayContaining(['MA', 'random policy', 'MB:coin', 'MB:gem']),
    );
    // Behavioural similarity from the stored evaluations: MA and each MB under every reward.
    expect(seed!.behaviour!.rewards).toEqual(['RA', 'coin', 'gem']);
    expect(seed!.behaviour!.rows.map((r) => r.policy)).toEqual(['MA', 'MB:coin', 'MB:gem']);
    const diagonal = seed!.behaviour!.rows.map((r, i) => r.cells[i]!.regret);
    expect(diagonal).toEqual([0, 0, 0]);
    expect(seed!.behaviour!.rows.flatMap((r) => r.cells).every((c) => c.success !== null)).toBe(true);
    const texts = report.statements.map((s) => s.text);
    expect(texts.some((t) => t.startsWith('MA succeeds on RA'))).toBe(true);
    expect(texts.some((t) => t.includes('P(coin) vs control'))).toBe(true);
  });

  it('protocol.exportReport writes the HTML report and CSV tables next to it', async () => {
    const path = join(api.dir, 'out', 'tiny-report.html');
    mkdirSync(join(api.dir, 'out')); // the writer creates no folder it was not asked to
    const written = await call<{ htmlPath: string; csvPaths: string[] }>('protocol.exportReport', {
      experimentId,
      path,
    });
    expect(written.htmlPath).toBe(path);
    expect(written.csvPaths).toContain(join(api.dir, 'out', 'tiny-report-negation.csv'));
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<h3>Negation</h3>');
    expect(html).not.toMatch(/<script|<link|src="http/);
    // The stored relevance maps as heatmaps, the first layer in observation space (one grid per channel).
    expect(html).toContain('<h3>Relevance maps</h3>');
    const observation =
      /<svg[^>]*aria-label="[^"]*map, seed 1: torso\.dense1\.kernel in observation space[\s\S]*?<\/svg>/.exec(
        html,
      );
    expect(observation?.[0].match(/class="heatmap-grid"/g)).toHaveLength(2 + 3);
    const negationCsv = readFileSync(join(api.dir, 'out', 'tiny-report-negation.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(negationCsv).toHaveLength(1 + 10);
  });

  it("protocol.nodeLog lists a node's stored attempts, and names an unknown node", async () => {
    const log = await call<ProtocolNodeLog>('protocol.nodeLog', { experimentId, nodeId: 's1/pretrain' });
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]).toMatchObject({ status: 'done', error: null });
    expect(log.entries[0]!.outputs.runId).toBeGreaterThan(0);
    const error = await failure('protocol.nodeLog', { experimentId, nodeId: 's9/nothing' });
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('s9/nothing');
  });

  it('protocol.stop stops a running experiment without failing nodes, and protocol.resume finishes it', async () => {
    const started = await call<{ experimentId: number; jobId: string }>('protocol.start', {
      spec: tinyExperiment({ name: 'api-stop', alphas: [1], nullControls: 0, aggregators: ['mean'] }),
    });
    const id = started.experimentId;
    let status = await call<ProtocolStatus>('protocol.status', { experimentId: id });
    while (status.done === 0) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await call<ProtocolStatus>('protocol.status', { experimentId: id });
    }
    const from = api.events.length;
    const stopping = await call<ProtocolStatus>('protocol.stop', { experimentId: id });
    expect(stopping.state).toBe('stopping');
    expect(await ended(started.jobId, from)).toBe('cancelled');
    const stopped = await call<ProtocolStatus>('protocol.status', { experimentId: id });
    expect(stopped).toMatchObject({ state: 'cancelled', failed: 0 });
    expect(stopped.done).toBeLessThan(stopped.total);

    const again = api.events.length;
    await call('protocol.resume', { experimentId: id });
    expect(await ended(started.jobId, again)).toBe('done');
    const finished = await call<ProtocolStatus>('protocol.status', { experimentId: id });
    expect(finished.done).toBe(finished.total);
  }, 120_000);

  it('protocol.status of an unknown experiment is NOT_FOUND', async () => {
    expect((await failure('protocol.status', { experimentId: 999 })).code).toBe('NOT_FOUND');
  });
});
