import { describe, expect, it } from 'vitest';
import {
  CLUSTER_TASK_OVERHEAD_SECONDS,
  estimateProtocol,
} from '../../../../src-main/api/protocol/protocol-estimate';
import { planTasks } from '../../../../src-main/cluster/plan';
import { similarityWarnings } from '../../../../src-main/api/protocol/protocol-similarity';
import { buildJobGraph } from '../../../../src-main/protocol';
import { ExperimentSpecSchema } from '../../../../src-main/shared/experiment-spec';

const spec = ExperimentSpecSchema.parse({
  env: { size: 5, kinds: ['cheese', 'coin'], horizon: 16 },
  rbs: [{ name: 'coin', collect: { coin: 1 } }],
  ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 },
  pretrainSteps: 6400,
  finetuneSteps: 640,
  recoverySteps: 64,
  nullControls: 0,
  alphas: [1],
  aggregators: ['mean'],
  evalEpisodes: 10,
});
const graph = buildJobGraph(spec);

describe('protocol wall-time estimate', () => {
  it('counts training steps and episodes, and says when there is no measurement', () => {
    const none = estimateProtocol(spec, graph, null, 2);
    const runs = graph.nodes.filter((n) => n.params.kind === 'train').length;
    expect(none.trainingSteps).toBe(6400 + 640 + 64 * (runs - 2));
    expect(none.evaluationEpisodes).toBe(10 * graph.nodes.filter((n) => n.params.kind === 'evaluate').length);
    expect(none.seconds).toBeNull();
    expect(none.basis).toContain('No throughput measurement');
  });

  it('is bounded below by the pretrain → fine-tune → recovery chain and adds start-up per run', () => {
    const fast = estimateProtocol(spec, graph, { stepsPerSecond: 1000, overheadSeconds: 0 }, 64);
    expect(fast.seconds).toBeCloseTo((6400 + 640 + 64) / 1000, 6);
    const withStartup = estimateProtocol(spec, graph, { stepsPerSecond: 1000, overheadSeconds: 2 }, 64);
    const runs = graph.nodes.filter((n) => n.params.kind === 'train').length;
    expect(withStartup.seconds! - fast.seconds!).toBeCloseTo((runs * 2) / 64, 6);
    const serial = estimateProtocol(spec, graph, { stepsPerSecond: 1000, overheadSeconds: 0 }, 1);
    expect(serial.seconds!).toBeGreaterThan(fast.seconds!);
  });
});

describe('cluster projection in the estimate', () => {
  const rate = { stepsPerSecond: 1000, overheadSeconds: 2 };

  it('is the serial sum on one node and falls to the critical path with enough nodes', () => {
    const one = estimateProtocol(spec, graph, rate, 1, 1).cluster!;
    const many = estimateProtocol(spec, graph, rate, 1, 10_000).cluster!;
    expect(one.tasks).toBeGreaterThan(5);
    expect(many.wallSeconds).toBeCloseTo(many.criticalPathSeconds, 9);
    // One node: every task's cost at the rate, a start-up per training run, scheduling per task.
    const plan = planTasks(spec, graph);
    const runs = graph.nodes.filter((n) => n.params.kind === 'train').length;
    const serial =
      plan.tasks.reduce((sum, task) => sum + task.cost / 1000, 0) +
      runs * 2 +
      plan.tasks.length * CLUSTER_TASK_OVERHEAD_SECONDS;
    expect(one.wallSeconds).toBeCloseTo(serial, 6);
    expect(one.wallSeconds).toBeGreaterThan(many.wallSeconds + 10);
    // The critical path holds the pretrain → fine-tune → recovery chain and at least one start-up each.
    expect(many.criticalPathSeconds).toBeGreaterThan((6400 + 640 + 64) / 1000 + 3 * 2);
    const eight = estimateProtocol(spec, graph, rate, 1, 8).cluster!;
    expect(eight.parallelTasks).toBe(8);
    expect(eight.wallSeconds).toBeLessThanOrEqual(one.wallSeconds);
    expect(eight.wallSeconds).toBeGreaterThanOrEqual(many.wallSeconds);
  });

  it('is null without a throughput measurement', () => {
    expect(estimateProtocol(spec, graph, null, 1, 8).cluster).toBeNull();
  });
});

describe('reward similarity warnings', () => {
  it('flags |ρ| above the threshold between RA and an RB or between two RBs, not NaN pairs', () => {
    const warnings = similarityWarnings(
      ['RA', 'coin', 'gem', 'flat'],
      [
        [1, -0.5, 0.1, null],
        [-0.5, 1, 0.35, null],
        [0.1, 0.35, 1, null],
        [null, null, null, null],
      ],
      0.3,
    );
    expect(warnings.map((w) => [w.a, w.b])).toEqual([
      ['RA', 'coin'],
      ['coin', 'gem'],
    ]);
    expect(warnings[0]!.message).toContain('coin is far from orthogonal to RA');
  });

  it('says when a small ρ is uninformative because both rewards fire rarely (sparse events)', () => {
    const names = ['RA', 'coin', 'gem'];
    const pearson = [
      [1, -0.007, -0.05],
      [-0.007, 1, -0.007],
      [-0.05, -0.007, 1],
    ];
    // Without event rates (the old behaviour) these pairs pass silently.
    expect(similarityWarnings(names, pearson, 0.3)).toEqual([]);
    const warnings = similarityWarnings(names, pearson, 0.3, [0.007, 0.007, 0.2]);
    expect(warnings.map((w) => [w.a, w.b, w.kind])).toEqual([['RA', 'coin', 'uninformative']]);
    const [w] = warnings;
    expect(w!.eventRates).toEqual([0.007, 0.007]);
    expect(w!.floor).toBeCloseTo(-0.007 / 0.993, 9);
    expect(w!.message).toContain('uninformative');
    expect(w!.message).toContain('RA fires on 0.70% and coin on 0.70%');
    expect(w!.message).toContain('floor -0.007');
    expect(w!.message).toContain('does not show the rewards are different');
  });
});
