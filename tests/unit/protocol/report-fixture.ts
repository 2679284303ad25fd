import { PROTOCOL_REPORT_FORMAT, type ProtocolReport, type ReportSeed } from '../../../src-main/shared';
import { ExperimentSpecSchema } from '../../../src-main/shared/experiment-spec';
import type { ReportCurve } from '../../../src-main/protocol';

/** Interval helper: estimate with a symmetric half-width. */
export function iv(estimate: number, half = 0.05): { estimate: number; low: number; high: number } {
  return { estimate, low: estimate - half, high: estimate + half };
}

export interface FixtureKnobs {
  /** Δ P(coin) vs control of MA − 1·Δ(coin), after recovery. */
  negateLean?: { estimate: number; low: number; high: number };
  /** fractionOfFull of the top and random 5 % masks. */
  topFraction?: { estimate: number; low: number; high: number };
  randomFraction?: { estimate: number; low: number; high: number };
  maSuccess?: { estimate: number; low: number; high: number };
}

/** A report of one seed, two RBs (coin, gem), α ∈ {0.5, 1}, a localization test; statements empty. */
export function reportFixture(knobs: FixtureKnobs = {}): ProtocolReport {
  const spec = ExperimentSpecSchema.parse({
    name: 'fixture',
    env: { size: 5, kinds: ['cheese', 'coin', 'red_gem', 'blue_gem'], horizon: 16 },
    rbs: [
      { name: 'coin', collect: { coin: 1 } },
      { name: 'gem', collect: { red_gem: 1 } },
    ],
    ppo: { numEnvs: 4, numSteps: 16, numMinibatches: 2 },
    pretrainSteps: 256,
    finetuneSteps: 128,
    recoverySteps: 64,
    alphas: [0.5, 1],
    localization: { rbNew: { name: 'blue', collect: { blue_gem: 1 } }, kPercents: [5], steps: 128 },
  });
  const measures = (p: number) => ({ targetCollect: iv(p), raReturn: iv(0.8), rbReturn: iv(p) });
  const lean = knobs.negateLean ?? iv(-0.12, 0.07);
  const rows: ReportSeed['negation'] extends infer T ? (T extends { rows: infer R } ? R : never) : never = [];
  let checkpoint = 10;
  for (const rb of ['coin', 'gem']) {
    for (const variant of ['negate', 'add', 'random'] as const) {
      for (const alpha of [0.5, 1]) {
        const d = variant === 'negate' ? lean : variant === 'add' ? iv(0.1) : iv(0, 0.03);
        rows.push({
          rb,
          variant,
          alpha,
          checkpointId: checkpoint++,
          recoveredCheckpointId: checkpoint++,
          before: measures(0.3 + (variant === 'add' ? 0.2 : -0.1) * alpha),
          after: measures(0.3 + d.estimate * alpha),
          afterVsRandom:
            variant === 'random' ? null : { targetCollect: iv(d.estimate - 0.01, 0.06), raReturn: iv(0) },
          afterVsControl: { targetCollect: { ...d, estimate: d.estimate * alpha }, raReturn: iv(-0.02) },
        });
      }
    }
  }
  const concentration = (shares: number[]) =>
    ['torso.dense1.kernel', 'torso.dense1.bias', 'policy.kernel'].map((tensor, i) => ({
      tensor,
      count: [400, 16, 64][i]!,
      sizeShare: [0.83, 0.03, 0.14][i]!,
      share: shares[i]!,
      meanAbs: shares[i]! / 10,
    }));
  const seed: ReportSeed = {
    seed: 1,
    success: [
      {
        subject: 'MA',
        reward: 'RA',
        checkpointId: 1,
        success: knobs.maSuccess ?? iv(0.87),
        meanReturn: iv(0.87),
      },
      { subject: 'random policy', reward: 'RA', checkpointId: null, success: iv(0.12), meanReturn: iv(0.12) },
      { subject: 'MB:coin', reward: 'coin', checkpointId: 2, success: iv(0.7), meanReturn: iv(0.7) },
      { subject: 'MA on coin', reward: 'coin', checkpointId: 1, success: iv(0.3), meanReturn: iv(0.3) },
    ],
    updateSignals: null,
    negation: {
      format: 'deltascope.protocol.negation/1',
      seed: 1,
      raName: 'RA',
      confidence: 0.95,
      bootstrapResamples: 200,
      episodes: 200,
      rbs: [
        { name: 'coin', targetKind: 'coin' },
        { name: 'gem', targetKind: 'red_gem' },
      ],
      base: { checkpointId: 1, measures: { coin: measures(0.3), gem: measures(0.25) } },
      control: { checkpointId: 3, measures: { coin: measures(0.3), gem: measures(0.25) } },
      finetuned: [{ rb: 'coin', checkpointId: 2, measures: measures(0.7) }],
      rows,
    },
    superposition: {
      format: 'deltascope.protocol.superposition/1',
      seed: 1,
      base: { nodeId: 's1/pretrain', checkpointId: 1 },
      rbInputs: [{ label: 'coin', nodeId: 's1/finetune/coin', checkpointId: 2 }],
      nullInputs: [],
      maps: [
        {
          aggregator: 'mean',
          recipe: { aggregator: 'mean', params: {}, inputs: [2] },
          artifactId: 5,
          concentration: concentration([0.4, 0.1, 0.5]),
        },
        {
          aggregator: 'median',
          recipe: { aggregator: 'median', params: {}, inputs: [2] },
          artifactId: 6,
          concentration: concentration([0.5, 0.1, 0.4]),
        },
      ],
      nullMap: { artifactId: 7, concentration: concentration([0.8, 0.05, 0.15]) },
    },
    knownAnswer: null,
    localization: {
      format: 'deltascope.protocol.localization/1',
      seed: 1,
      rbNew: 'blue',
      aggregator: 'mean',
      confidence: 0.95,
      episodes: 200,
      base: { checkpointId: 1, rbNewReturn: iv(0.1) },
      full: { checkpointId: 40, rbNewReturn: iv(0.6), gainOverBase: iv(0.5) },
      rows: (['top', 'random', 'bottom'] as const).map((selection, i) => ({
        selection,
        kPercent: 5,
        selected: 24,
        total: 480,
        maskArtifactId: 50 + i,
        checkpointId: 60 + i,
        rbNewReturn: iv(0.4),
        gainOverBase: iv(0.3),
        fractionOfFull:
          selection === 'top'
            ? (knobs.topFraction ?? { estimate: 0.71, low: 0.6, high: 0.8 })
            : selection === 'random'
              ? (knobs.randomFraction ?? { estimate: 0.22, low: 0.15, high: 0.3 })
              : iv(0.05),
      })),
    },
    spikeIn: null,
    groundTruth: null,
  };
  return {
    format: PROTOCOL_REPORT_FORMAT,
    experimentId: 1,
    name: 'fixture <&>',
    createdAt: '2026-01-01T00:00:00.000Z',
    generatedAt: '2026-01-01T01:00:00.000Z',
    spec,
    progress: { done: 10, total: 10, failed: 0, complete: true },
    similarity: {
      names: ['RA', 'coin', 'gem', 'blue'],
      pearson: [
        [1, -0.1, 0.05, 0],
        [-0.1, 1, 0.4, 0],
        [0.05, 0.4, 1, null],
        [0, 0, null, 1],
      ],
      epic: [
        [0, 0.7, 0.69, 0.7],
        [0.7, 0, 0.5, 0.7],
        [0.69, 0.5, 0, null],
        [0.7, 0.7, null, 0],
      ],
      samples: 1000,
      warnings: [{ a: 'coin', b: 'gem', pearson: 0.4, message: 'coin and gem overlap: ρ = 0.40' }],
      threshold: 0.3,
    },
    runs: [
      { nodeId: 's1/pretrain', role: 'pretrain', trainReward: 'RA', seed: 1, runId: 1 },
      { nodeId: 's1/finetune/coin', role: 'finetune', trainReward: 'coin', seed: 1, runId: 2 },
    ],
    seeds: [seed],
    pooledNegation: [],
    pooledLocalization: null,
    verdicts: [],
    statements: [],
  };
}

/** Two rising training curves of seed 1. */
export function curvesFixture(): ReportCurve[] {
  const steps = Array.from({ length: 20 }, (_, i) => (i + 1) * 64);
  return [
    {
      label: 's1/pretrain',
      runId: 1,
      key: 'charts/episodic_return/RA',
      steps,
      values: steps.map((s) => 1 - Math.exp(-s / 500)),
    },
    {
      label: 's1/finetune/coin',
      runId: 2,
      key: 'charts/episodic_return/coin',
      steps,
      values: steps.map((s) => s / 1280),
    },
  ];
}
