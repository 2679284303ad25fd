import type { NegationTableData, ReportSeed } from '../../../../src-main/shared';

const iv = (estimate: number, half = 0.1) => ({ estimate, low: estimate - half, high: estimate + half });
const measures = (p: number) => ({ targetCollect: iv(p), raReturn: iv(1), rbReturn: iv(0.5) });

/** A small negation table: one RB, three variants at α 1 and 0.5 (the random variant has no Δ vs random). */
export const negationTable: NegationTableData = {
  format: 'deltascope.protocol.negation/1',
  seed: 1,
  raName: 'RA',
  confidence: 0.95,
  bootstrapResamples: 200,
  episodes: 24,
  rbs: [{ name: 'coin', targetKind: 'coin' }],
  base: { checkpointId: 1, measures: { coin: measures(0.4) } },
  control: { checkpointId: 2, measures: { coin: measures(0.45) } },
  finetuned: [{ rb: 'coin', checkpointId: 3, measures: measures(0.9) }],
  rows: [1, 0.5].flatMap((alpha) =>
    (['negate', 'add', 'random'] as const).map((variant, i) => ({
      rb: 'coin',
      variant,
      alpha,
      checkpointId: 10 + i,
      recoveredCheckpointId: 20 + i,
      before: measures(0.3),
      after: measures(variant === 'negate' ? 0.2 : 0.5),
      afterVsRandom: variant === 'random' ? null : { targetCollect: iv(-0.3), raReturn: iv(0) },
      afterVsControl: { targetCollect: iv(-0.25), raReturn: iv(0) },
    })),
  ),
};

export function seedWith(seed: number, negation: NegationTableData | null): ReportSeed {
  return {
    seed,
    success: [],
    updateSignals: null,
    negation: negation === null ? null : { ...negation, seed },
    superposition: null,
    knownAnswer: null,
    localization: null,
    spikeIn: null,
    groundTruth: null,
  };
}
