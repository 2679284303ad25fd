import type { GridMazeConfigInput, RewardSpec } from '@shared';
import {
  DEFAULT_ALPHAS,
  ExperimentSpecSchema,
  LocalizationSpecSchema,
  negatedRbName,
  RecoveryCriterionSpecSchema,
  type ExperimentSpec,
  type RecoveryCriterionSpec,
} from '@shared/experiment-spec';
import { createSpecForm, getAt, rewardRow, setAt, type FieldPath, type SpecDraft } from './spec-draft';

/**
 * The experiment designer's form over `ExperimentSpecSchema` (see spec-draft.ts). The schema runs
 * here for instant per-field messages; the main side's `protocol.validate` adds node counts and the
 * wall-time estimate.
 */
/** Recovery to criterion as the designer turns it on: every field at its schema default. */
export const RECOVERY_CRITERION_DEFAULTS: RecoveryCriterionSpec = RecoveryCriterionSpecSchema.parse({});

export const experimentForm = createSpecForm<ExperimentSpec>(ExperimentSpecSchema, {
  // The localization test and recovery to criterion are off (null) by default; once on, their fields
  // default to these.
  sectionDefaults: {
    localization: LocalizationSpecSchema.parse({ rbNew: { name: 'rbnew' } }),
    recoveryCriterion: RECOVERY_CRITERION_DEFAULTS,
  },
});

/** The top-level sections the designer's fields edit; a problem anywhere else belongs to the JSON editor. */
export const EXPERIMENT_FORM_PATHS: readonly FieldPath[] = [
  'name',
  'env.size',
  'env.horizon',
  'env.view',
  'env.loops',
  'env.kinds',
  'ra',
  'rbs',
  'seeds',
  'pretrainSteps',
  'finetuneSteps',
  'nullControls',
  'recoverySteps',
  'recoveryCriterion',
  'positiveControl',
  'evalEpisodes',
  'alphas',
  'localization',
  'knownAnswer',
];

/** The designer's JSON editor: its texts, and the fields whose messages it leaves to them. */
export const EXPERIMENT_JSON_EDITOR = {
  formPaths: EXPERIMENT_FORM_PATHS,
  summary: 'Advanced: the whole spec as JSON (network, PPO, aggregators, evaluation, …)',
  label: 'Experiment spec JSON',
  testid: 'protocol-json',
} as const;

/** A name not yet used by RA or any RB: `rb1`, `rb2`, … */
export function freshRbName(draft: SpecDraft): string {
  const used = new Set([
    String(experimentForm.value(draft, 'ra.name')),
    ...experimentForm.rewards(draft, 'rbs').map((rb) => rb.name),
  ]);
  for (let i = 1; ; i++) if (!used.has(`rb${i}`)) return `rb${i}`;
}

/** A new RB row for the designer's table, with a fresh name and no weights yet. */
export function newRb(draft: SpecDraft): { name: string; collect: Record<string, number> } {
  return { name: freshRbName(draft), collect: {} };
}

/** The designer's reward table: RA first, then the RBs (RB1, RB2, …), each RB optionally "RA plus" it. */
export const EXPERIMENT_REWARDS_TABLE = {
  fixed: 'ra',
  fixedLabel: 'RA',
  list: 'rbs',
  noun: 'RB',
  newRow: newRb,
  addLabel: '+ add RB',
  plusRa: true,
} as const;

/** The draft with recovery to criterion on (every field at its default, unless already set) or off. */
export function withRecoveryCriterion(draft: SpecDraft, on: boolean): SpecDraft {
  if (!on) return setAt(draft, 'recoveryCriterion', undefined);
  const own = getAt(draft, 'recoveryCriterion');
  return typeof own === 'object' && own !== null
    ? draft
    : setAt(draft, 'recoveryCriterion', { ...RECOVERY_CRITERION_DEFAULTS });
}

/** The rewards the positive controls fine-tune on (−RBᵢ per RB of the draft), by name. */
export function positiveControlRewards(draft: SpecDraft): string[] {
  return experimentForm
    .rewards(draft, 'rbs')
    .filter((rb) => rb.name.trim() !== '')
    .map(negatedRbName);
}

/** An α grid from `from` to `to` in `step`s, rounded to 6 decimals so JSON stays readable. */
export function alphaGrid(from: number, to: number, step: number): number[] {
  if (!(step > 0) || !(to >= from)) {
    throw new RangeError(`alphaGrid: need step > 0 and to ≥ from; got from=${from}, to=${to}, step=${step}`);
  }
  const n = Math.floor((to - from) / step + 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Math.round((from + i * step) * 1e6) / 1e6);
}

/** Parses "0, 0.5, 1" into numbers; null when any entry is not a number. */
export function parseNumberList(text: string): number[] | null {
  const parts = text
    .split(/[,\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const values = parts.map(Number);
  return values.every((v) => Number.isFinite(v)) ? values : null;
}

export { DEFAULT_ALPHAS };

/**
 * The rewards whose similarity the designer shows, from the draft as far as it is readable: RA,
 * each RBᵢ's effective reward (RA plus the component when `addToRA`), and RB_new if set. Null while
 * the env or a reward is not usable (fewer than two rewards, a blank or repeated name).
 */
export function similarityRequest(
  draft: SpecDraft,
): { env: GridMazeConfigInput; rewards: RewardSpec[] } | null {
  const kinds = experimentForm.kinds(draft);
  const reward = (raw: unknown, base: RewardSpec | null): RewardSpec | null => {
    const own = rewardRow(raw, kinds);
    if (own.name.trim() === '') return null;
    const collect: Record<string, number> = {};
    for (const kind of kinds) {
      const total = (own.weights[kind] ?? 0) + (base?.collect[kind] ?? 0);
      if (total !== 0) collect[kind] = total;
    }
    const reach: Record<string, number> = { ...(base?.reach ?? {}) };
    const ownReach = getAt(raw, 'reach');
    if (typeof ownReach === 'object' && ownReach !== null) {
      for (const [region, weight] of Object.entries(ownReach)) {
        if (typeof weight === 'number') reach[region] = (reach[region] ?? 0) + weight;
      }
    }
    return { name: own.name, collect, stepCost: own.stepCost + (base?.stepCost ?? 0), reach };
  };
  const ra = reward(experimentForm.value(draft, 'ra'), null);
  if (ra === null) return null;
  const rawRbs = experimentForm.value(draft, 'rbs');
  const rbs = (Array.isArray(rawRbs) ? rawRbs : []).map((rb: unknown) =>
    reward(rb, getAt(rb, 'addToRA') === true ? ra : null),
  );
  const localization = experimentForm.value(draft, 'localization');
  const rawNew = getAt(localization, 'rbNew');
  const rbNew = localization === null ? null : reward(rawNew, getAt(rawNew, 'addToRA') === true ? ra : null);
  const all = [ra, ...rbs, ...(rbNew === null ? [] : [rbNew])];
  if (all.some((r) => r === null) || all.length < 2) return null;
  const names = all.map((r) => (r as RewardSpec).name);
  if (new Set(names).size !== names.length) return null;
  // The main side checks the env; a broken one comes back as the call's error message.
  return { env: experimentForm.value(draft, 'env') as GridMazeConfigInput, rewards: all as RewardSpec[] };
}
