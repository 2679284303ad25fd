import { OBJECT_KINDS, type GridMazeConfigInput, type ObjectKind, type RewardSpec } from '@shared';
import {
  DEFAULT_ALPHAS,
  ExperimentSpecSchema,
  LocalizationSpecSchema,
  type ExperimentSpec,
} from '@shared/experiment-spec';
import { getIn, setIn, type SpecDraft } from './training-spec-form';

/**
 * The pure model behind the experiment designer. As in the training dialog, the spec is kept as
 * plain JSON (what the advanced editor shows and what is exported); form fields read and write it by
 * path. Validation is the contract's own schema, run here for instant per-field messages; the main
 * side's `protocol.validate` adds node counts and the wall-time estimate.
 */

export type { SpecDraft };

/** Every default of the experiment schema, for fields a draft leaves out. */
export const EXPERIMENT_DEFAULTS: ExperimentSpec = ExperimentSpecSchema.parse({});

/** Defaults inside a localization test, which is off (null) by default. */
const LOCALIZATION_DEFAULTS = LocalizationSpecSchema.parse({ rbNew: { name: 'rbnew' } });

export interface SpecIssue {
  /** Dotted path inside the spec, e.g. `rbs.1.name`; empty for the whole spec. */
  path: string;
  message: string;
}

/** Checks a draft against the experiment schema; issues carry dotted paths. */
export function validateExperimentDraft(
  draft: unknown,
): { ok: true; spec: ExperimentSpec } | { ok: false; issues: SpecIssue[] } {
  const parsed = ExperimentSpecSchema.safeParse(draft);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

/** Issues at `prefix` or below it (`rbs` matches `rbs.0.name`, not `rbsX`). */
export function issuesUnder(issues: readonly SpecIssue[], prefix: string): SpecIssue[] {
  return issues.filter(
    (issue) => issue.path === prefix || (prefix !== '' && issue.path.startsWith(`${prefix}.`)),
  );
}

/** The draft's value at a dotted path, or the schema default when the draft leaves it out. */
export function experimentValue(draft: SpecDraft, path: string): unknown {
  const keys = path.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
  const value = getIn(draft, keys);
  if (value !== undefined) return value;
  if (keys[0] === 'localization' && keys.length > 1) return getIn(LOCALIZATION_DEFAULTS, keys.slice(1));
  return getIn(EXPERIMENT_DEFAULTS, keys);
}

/** The draft with `value` at a dotted path (`undefined` removes it, so the default applies). */
export function setExperimentValue(draft: SpecDraft, path: string, value: unknown): SpecDraft {
  const keys = path.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
  return setIn(draft, keys, value);
}

/** The env's object kinds as the draft sets them (defaults otherwise), known kinds only. */
export function experimentKinds(draft: SpecDraft): ObjectKind[] {
  const raw = experimentValue(draft, 'env.kinds');
  if (!Array.isArray(raw)) return [...EXPERIMENT_DEFAULTS.env.kinds];
  return raw.filter((kind): kind is ObjectKind => (OBJECT_KINDS as readonly unknown[]).includes(kind));
}

/** One RB of the draft as a form row. */
export interface RbRow {
  name: string;
  /** Collect weight per env kind (0 when not named). */
  weights: Record<string, number>;
  stepCost: number;
  addToRA: boolean;
}

function weightsOf(collect: unknown, kinds: readonly string[]): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const kind of kinds) {
    const weight = getIn(collect, [kind]);
    weights[kind] = typeof weight === 'number' ? weight : 0;
  }
  return weights;
}

/** The draft's RBs (defaults otherwise) as form rows. */
export function experimentRbs(draft: SpecDraft): RbRow[] {
  const raw = experimentValue(draft, 'rbs');
  const kinds = experimentKinds(draft);
  return (Array.isArray(raw) ? raw : []).map((rb: unknown) => {
    const name = getIn(rb, ['name']);
    const stepCost = getIn(rb, ['stepCost']);
    return {
      name: typeof name === 'string' ? name : '',
      weights: weightsOf(getIn(rb, ['collect']), kinds),
      stepCost: typeof stepCost === 'number' ? stepCost : 0,
      addToRA: getIn(rb, ['addToRA']) === true,
    };
  });
}

/** The draft with an explicit copy of a defaulted field, so editing one entry keeps the others. */
export function materialize(draft: SpecDraft, path: string): SpecDraft {
  if (getIn(draft, path.split('.')) !== undefined) return draft;
  return setExperimentValue(draft, path, JSON.parse(JSON.stringify(experimentValue(draft, path))));
}

/** A name not yet used by RA or any RB: `rb1`, `rb2`, … */
export function freshRbName(draft: SpecDraft): string {
  const used = new Set([
    String(experimentValue(draft, 'ra.name')),
    ...experimentRbs(draft).map((rb) => rb.name),
  ]);
  for (let i = 1; ; i++) if (!used.has(`rb${i}`)) return `rb${i}`;
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
 * the env or a reward is not usable (fewer than two rewards, a blank name).
 */
export function similarityRequest(
  draft: SpecDraft,
): { env: GridMazeConfigInput; rewards: RewardSpec[] } | null {
  const kinds = experimentKinds(draft);
  const reward = (raw: unknown, base: RewardSpec | null): RewardSpec | null => {
    const name = getIn(raw, ['name']);
    if (typeof name !== 'string' || name.trim() === '') return null;
    const own = weightsOf(getIn(raw, ['collect']), kinds);
    const stepCost = getIn(raw, ['stepCost']);
    const collect: Record<string, number> = {};
    for (const kind of kinds) {
      const total = (own[kind] ?? 0) + (base?.collect[kind] ?? 0);
      if (total !== 0) collect[kind] = total;
    }
    const reach: Record<string, number> = { ...(base?.reach ?? {}) };
    const ownReach = getIn(raw, ['reach']);
    if (typeof ownReach === 'object' && ownReach !== null) {
      for (const [region, weight] of Object.entries(ownReach)) {
        if (typeof weight === 'number') reach[region] = (reach[region] ?? 0) + weight;
      }
    }
    return {
      name,
      collect,
      stepCost: (typeof stepCost === 'number' ? stepCost : 0) + (base?.stepCost ?? 0),
      reach,
    };
  };
  const ra = reward(experimentValue(draft, 'ra'), null);
  if (ra === null) return null;
  const rawRbs = experimentValue(draft, 'rbs');
  const rbs = (Array.isArray(rawRbs) ? rawRbs : []).map((rb: unknown) =>
    reward(rb, getIn(rb, ['addToRA']) === true ? ra : null),
  );
  const localization = experimentValue(draft, 'localization');
  const rawNew = getIn(localization, ['rbNew']);
  const rbNew =
    localization === null ? null : reward(rawNew, getIn(rawNew, ['addToRA']) === true ? ra : null);
  const all = [ra, ...rbs, ...(rbNew === null ? [] : [rbNew])];
  if (all.some((r) => r === null) || all.length < 2) return null;
  const names = all.map((r) => (r as RewardSpec).name);
  if (new Set(names).size !== names.length) return null;
  // The main side checks the env; a broken one comes back as the call's error message.
  return { env: experimentValue(draft, 'env') as GridMazeConfigInput, rewards: all as RewardSpec[] };
}
