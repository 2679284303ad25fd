import { TrainingSpecSchema, type TrainingSpec } from '@shared';
import { createSpecForm, getAt, type FieldPath, type SpecDraft } from './spec-draft';

/**
 * The "New training" dialog's form over `TrainingSpecSchema` (see spec-draft.ts): which paths its
 * fields edit; a problem anywhere else belongs to the JSON editor.
 */
export const trainingForm = createSpecForm<TrainingSpec>(TrainingSpecSchema, {
  derivedDefaults: {
    // The schema trains on the first reward when trainReward is left out.
    trainReward: (draft) => {
      const first = getAt(trainingForm.value(draft, 'rewards'), '0.name');
      return typeof first === 'string' ? first : '';
    },
  },
});

/** The paths the dialog's fields edit (the env's through MazeEnvFields, the rewards' through the table). */
export const TRAINING_FORM_PATHS: readonly FieldPath[] = [
  'experiment',
  'run',
  'env.size',
  'env.horizon',
  'env.view',
  'env.loops',
  'env.kinds',
  'rewards',
  'trainReward',
  'net.kind',
  'totalSteps',
  'seed',
  'ppo.updateWorkers',
];

/** A new reward row for the dialog's table: `R<n+1>` collecting nothing yet. */
export function newTrainingReward(draft: SpecDraft): { name: string; collect: Record<string, number> } {
  return { name: `R${trainingForm.rewards(draft, 'rewards').length + 1}`, collect: {} };
}

/** The dialog's reward table: the `rewards` list, rows called "Reward 1", "Reward 2", … */
export const TRAINING_REWARDS_TABLE = {
  list: 'rewards',
  noun: 'Reward',
  newRow: newTrainingReward,
  addLabel: '+ add reward',
} as const;

/** The dialog's JSON editor: its texts, and the fields whose messages it leaves to them. */
export const TRAINING_JSON_EDITOR = {
  formPaths: TRAINING_FORM_PATHS,
  summary: 'Advanced: the whole spec as JSON (PPO settings, regions, init, …)',
  label: 'Training spec JSON',
  testid: 'training-json',
} as const;
