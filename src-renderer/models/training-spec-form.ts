import {
  OBJECT_KINDS,
  TrainingSpecSchema,
  type ObjectKind,
  type TrainingSpec,
  type TrainingSpecInput,
} from '@shared';

/**
 * The pure model behind the "New training" dialog. The spec is kept as plain JSON (what the
 * advanced editor shows); the form's fields read from it and write into it by path, so the two
 * views never disagree. Validation is the contract's own schema, with its issues sorted to fields.
 */

/** A training spec as JSON, possibly incomplete or invalid while being edited. */
export type SpecDraft = Record<string, unknown>;

/** The fields the form shows; issues elsewhere in the spec belong to the advanced editor. */
export const FORM_FIELDS = [
  'experiment',
  'run',
  'env.size',
  'env.view',
  'rewards',
  'trainReward',
  'net.kind',
  'totalSteps',
  'seed',
  'ppo.updateWorkers',
] as const;
export type FormField = (typeof FORM_FIELDS)[number] | 'advanced';

export interface FieldIssue {
  field: FormField;
  /** Dotted path inside the spec, e.g. `rewards.1.collect.gem`; empty for the whole spec. */
  path: string;
  message: string;
}

export type SpecValidation = { ok: true; spec: TrainingSpec } | { ok: false; issues: FieldIssue[] };

/** Every default of the schema, for fields a draft leaves out. */
export const SPEC_DEFAULTS: TrainingSpec = TrainingSpecSchema.parse({});

/** Which form field an issue at `path` belongs to: the longest field that prefixes it. */
export function fieldOfPath(path: readonly PropertyKey[]): FormField {
  const dotted = path.map(String).join('.');
  if (path[0] === 'rewards') return 'rewards';
  const match = FORM_FIELDS.find((field) => dotted === field || dotted.startsWith(`${field}.`));
  return match ?? 'advanced';
}

/** Checks a draft against the contract's schema; issues are sorted to the form's fields. */
export function validateDraft(draft: unknown): SpecValidation {
  const parsed = TrainingSpecSchema.safeParse(draft);
  if (parsed.success) return { ok: true, spec: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      field: fieldOfPath(issue.path),
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

/** Parses the advanced editor's text: a JSON object, or the parser's message. */
export function parseDraftText(
  text: string,
): { ok: true; draft: SpecDraft } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'The spec must be a JSON object ({ … }).' };
  }
  return { ok: true, draft: value as SpecDraft };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` in `draft`, or undefined when any step is missing. */
export function getIn(draft: unknown, path: readonly (string | number)[]): unknown {
  let node: unknown = draft;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node) && typeof key === 'string') node = node[key];
    else return undefined;
  }
  return node;
}

/** A copy of `draft` with `value` at `path` (objects created on the way; `undefined` deletes). */
export function setIn<T>(draft: T, path: readonly (string | number)[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  if (typeof key === 'number') {
    const list = Array.isArray(draft) ? [...(draft as unknown[])] : [];
    list[key] = setIn(list[key], rest, value);
    return list as T;
  }
  const record: Record<string, unknown> = isRecord(draft) ? { ...draft } : {};
  const next = setIn(record[key], rest, value);
  if (next === undefined) delete record[key];
  else record[key] = next;
  return record as T;
}

/** The env's object kinds as the draft sets them (defaults otherwise), known kinds only. */
export function draftKinds(draft: SpecDraft): ObjectKind[] {
  const raw = getIn(draft, ['env', 'kinds']);
  if (!Array.isArray(raw)) return [...SPEC_DEFAULTS.env.kinds];
  return raw.filter((kind): kind is ObjectKind => (OBJECT_KINDS as readonly unknown[]).includes(kind));
}

export interface FormReward {
  name: string;
  /** Collect weight per env kind (0 when the reward does not name it). */
  weights: Record<string, number>;
}

/** The draft's rewards as form rows: a name and a collect weight per env kind. */
export function draftRewards(draft: SpecDraft): FormReward[] {
  const raw = getIn(draft, ['rewards']);
  const list: unknown[] = Array.isArray(raw) ? raw : SPEC_DEFAULTS.rewards;
  const kinds = draftKinds(draft);
  return list.map((reward) => {
    const collect = getIn(reward, ['collect']);
    const weights: Record<string, number> = {};
    for (const kind of kinds) {
      const weight = getIn(collect, [kind]);
      weights[kind] = typeof weight === 'number' ? weight : 0;
    }
    const name = getIn(reward, ['name']);
    return { name: typeof name === 'string' ? name : '', weights };
  });
}

/** The draft's value at a dotted form path, or the schema default when it leaves it out. */
export function draftValue(draft: SpecDraft, field: Exclude<FormField, 'rewards' | 'advanced'>): unknown {
  const path = field.split('.');
  const value = getIn(draft, path);
  if (value !== undefined) return value;
  if (field === 'trainReward') return draftRewards(draft)[0]?.name ?? '';
  return getIn(SPEC_DEFAULTS, path);
}

/** A deep copy of a preset, to be edited without touching the preset. */
export function draftFromPreset(preset: TrainingSpecInput): SpecDraft {
  return JSON.parse(JSON.stringify(preset)) as SpecDraft;
}
