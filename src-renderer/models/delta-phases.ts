import type { RunSummary } from '@shared';

/**
 * What a checkpoint is, as a delta against a base: the fine-tunes a relevance map is made of, and the
 * runs that must not slip into it by default (null controls, weight arithmetic, recovery trainings,
 * localization trainings). From the run's phase, and for the protocol's localization runs (phase
 * finetune) from their name `s<seed>/localize/…`.
 */
export type DeltaPhase = 'finetune' | 'control' | 'derived' | 'recovery' | 'localization' | 'other';

export const DELTA_PHASES: readonly { phase: DeltaPhase; label: string; hint: string }[] = [
  { phase: 'finetune', label: 'Fine-tunes', hint: 'trained from the base on another reward' },
  { phase: 'control', label: 'Null controls', hint: 'trained from the base on its own reward' },
  { phase: 'derived', label: 'Derived', hint: 'made by weight arithmetic, not trained' },
  { phase: 'recovery', label: 'Recovery', hint: 'retrained after a negation' },
  { phase: 'localization', label: 'Localization', hint: 'masked fine-tunes of the localization test' },
  { phase: 'other', label: 'Other checkpoints', hint: 'not started from this base' },
];

const LOCALIZE_RUN = /(^|\/)localize(\/|$)/;

/** The phase of a run's checkpoints as deltas (pretrain and imported runs are 'other'). */
export function deltaPhaseOf(run: Pick<RunSummary, 'phase' | 'name'>): DeltaPhase {
  switch (run.phase) {
    case 'finetune':
      return LOCALIZE_RUN.test(run.name) ? 'localization' : 'finetune';
    case 'control':
      return 'control';
    case 'derived':
      return 'derived';
    case 'retrain':
      return 'recovery';
    default:
      return 'other';
  }
}
