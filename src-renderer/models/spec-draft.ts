import { OBJECT_KINDS, specFieldErrors, type ObjectKind, type SpecFieldError } from '@shared';

/**
 * The one draft model behind the spec forms (the "New training" dialog and the experiment
 * designer). A spec is kept as plain JSON while it is edited — what the JSON editor shows and what
 * is exported — and every field reads and writes it at one kind of address: the dotted path of the
 * schema's issues (`env.size`, `rbs.1.collect.gem`). Validation is the contract's own zod schema,
 * its messages unchanged, each at its path, so a message lands next to the field that edits it.
 */

/** A spec as JSON, possibly incomplete or invalid while being edited. */
export type SpecDraft = Record<string, unknown>;

/** A field's address in a spec: dotted from the root, array indices as numbers (`rewards.0.name`). */
export type FieldPath = string;

/** One schema message at its field path (the main side's `protocol.validate` answers the same shape). */
export type SpecIssue = SpecFieldError;

export type SpecValidation<T> = { ok: true; spec: T } | { ok: false; issues: SpecIssue[] };

/** What a spec form needs of a zod schema (kept structural so both spec schemas fit). */
export interface SpecSchema<T> {
  parse(value: unknown): T;
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: SpecSchemaError };
}
type SpecSchemaError = Parameters<typeof specFieldErrors>[0];

/** The keys of a dotted path; all-digit segments are array indices. */
export function pathKeys(path: FieldPath): (string | number)[] {
  if (path === '') return [];
  return path.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` in `value`, or undefined when any step is missing. */
export function getAt(value: unknown, path: FieldPath): unknown {
  let node: unknown = value;
  for (const key of pathKeys(path)) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node) && typeof key === 'string') node = node[key];
    else return undefined;
  }
  return node;
}

function setKeys(node: unknown, keys: readonly (string | number)[], value: unknown): unknown {
  if (keys.length === 0) return value;
  const [key, ...rest] = keys as [string | number, ...(string | number)[]];
  if (typeof key === 'number') {
    const list = Array.isArray(node) ? [...(node as unknown[])] : [];
    list[key] = setKeys(list[key], rest, value);
    return list;
  }
  const record: Record<string, unknown> = isRecord(node) ? { ...node } : {};
  const next = setKeys(record[key], rest, value);
  if (next === undefined) delete record[key];
  else record[key] = next;
  return record;
}

/** A copy of `draft` with `value` at `path` (objects made on the way; `undefined` removes the key). */
export function setAt(draft: SpecDraft, path: FieldPath, value: unknown): SpecDraft {
  const next = setKeys(draft, pathKeys(path), value);
  return isRecord(next) ? next : {};
}

/** Issues at `prefix` or below it (`rbs` matches `rbs.0.name`, not `rbsX`; '' matches only ''). */
export function issuesUnder(issues: readonly SpecIssue[], prefix: FieldPath): SpecIssue[] {
  return issues.filter(
    (issue) => issue.path === prefix || (prefix !== '' && issue.path.startsWith(`${prefix}.`)),
  );
}

/** Issues under none of `prefixes`: those no form field shows, for the JSON editor. */
export function issuesOutside(issues: readonly SpecIssue[], prefixes: readonly FieldPath[]): SpecIssue[] {
  return issues.filter((issue) => !prefixes.some((prefix) => issuesUnder([issue], prefix).length > 0));
}

/** Parses the JSON editor's text (or an imported file): a JSON object, or the parser's message. */
export function parseDraftText(
  text: string,
): { ok: true; draft: SpecDraft } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, message: 'The spec must be a JSON object ({ … }).' };
  return { ok: true, draft: value };
}

/** A deep copy (of a preset or a default), to be edited without touching the original. */
export function copyDraft<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** One reward of a spec as a form row: a collect weight per env kind (0 when not named). */
export interface RewardRow {
  name: string;
  weights: Record<string, number>;
  stepCost: number;
  /** An RB whose fine-tune reward is RA plus this component (experiment specs only). */
  addToRA: boolean;
}

/** A reward (as far as it is readable) as a form row over `kinds`. */
export function rewardRow(raw: unknown, kinds: readonly string[]): RewardRow {
  const weights: Record<string, number> = {};
  for (const kind of kinds) {
    const weight = getAt(raw, `collect.${kind}`);
    weights[kind] = typeof weight === 'number' ? weight : 0;
  }
  const name = getAt(raw, 'name');
  const stepCost = getAt(raw, 'stepCost');
  return {
    name: typeof name === 'string' ? name : '',
    weights,
    stepCost: typeof stepCost === 'number' ? stepCost : 0,
    addToRA: getAt(raw, 'addToRA') === true,
  };
}

export interface SpecFormOptions {
  /**
   * Defaults inside a section whose own default is null (the experiment's `localization`): a path
   * below the section reads these once the draft turns the section on.
   */
  sectionDefaults?: Record<string, unknown>;
  /** Defaults computed from the draft (the training's `trainReward` is its first reward). */
  derivedDefaults?: Record<FieldPath, (draft: SpecDraft) => unknown>;
}

/** A spec form: the schema's defaults, reading and writing by field path, and validation. */
export interface SpecForm<T> {
  /** Every default of the schema, for fields a draft leaves out. */
  readonly defaults: T;
  /** The draft's value at `path`, or the default there when the draft leaves it out. */
  value(draft: SpecDraft, path: FieldPath): unknown;
  /** The draft with an explicit copy of a defaulted field, so editing one entry keeps the others. */
  materialize(draft: SpecDraft, path: FieldPath): SpecDraft;
  /** The env's object kinds as the draft sets them (defaults otherwise), known kinds only. */
  kinds(draft: SpecDraft): ObjectKind[];
  /** The rewards at `path` (a list or one reward; defaults otherwise) as form rows. */
  rewards(draft: SpecDraft, path: FieldPath): RewardRow[];
  /** The draft checked by the contract's schema; issues carry their field paths. */
  validate(draft: unknown): SpecValidation<T>;
}

export function createSpecForm<T>(schema: SpecSchema<T>, options: SpecFormOptions = {}): SpecForm<T> {
  const defaults = schema.parse({});
  const sections = options.sectionDefaults ?? {};
  const derived = options.derivedDefaults ?? {};

  function value(draft: SpecDraft, path: FieldPath): unknown {
    const own = getAt(draft, path);
    if (own !== undefined) return own;
    const compute = derived[path];
    if (compute !== undefined) return compute(draft);
    const [section] = path.split('.', 1);
    const sectionDefault = section === undefined ? undefined : sections[section];
    if (sectionDefault !== undefined && path !== section) {
      return getAt(sectionDefault, path.slice(section!.length + 1));
    }
    return getAt(defaults, path);
  }

  function kinds(draft: SpecDraft): ObjectKind[] {
    const own = value(draft, 'env.kinds');
    const raw = Array.isArray(own) ? own : getAt(defaults, 'env.kinds');
    return Array.isArray(raw)
      ? raw.filter((kind): kind is ObjectKind => (OBJECT_KINDS as readonly unknown[]).includes(kind))
      : [];
  }

  return {
    defaults,
    value,
    kinds,
    materialize(draft, path) {
      if (getAt(draft, path) !== undefined) return draft;
      const fallback = value(draft, path);
      return fallback === undefined ? draft : setAt(draft, path, copyDraft(fallback));
    },
    rewards(draft, path) {
      const raw = value(draft, path);
      const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
      const env = kinds(draft);
      return list.map((reward) => rewardRow(reward, env));
    },
    validate(draft) {
      const parsed = schema.safeParse(draft);
      return parsed.success
        ? { ok: true, spec: parsed.data }
        : { ok: false, issues: specFieldErrors(parsed.error) };
    },
  };
}
