import type { ExperimentNode, MethodRequest } from '@shared';
import type { AggregatorSpecPayload, CheckpointRef, RelevanceMapSummary } from '@shared/contract-weights';

/**
 * The "Aggregate deltas…" form as plain data and the pure steps around it: which fine-tunes a base
 * pre-checks, the weights.aggregate (a stored map) or weights.aggregateToFolder (a safetensors
 * folder) request a filled-in form makes (or the message saying what is missing), and the
 * per-tensor mass shares of a stored map as bars and CSV.
 */

export type AggregateRequest = MethodRequest<'weights.aggregate'>;
export type AggregateFolderRequest = MethodRequest<'weights.aggregateToFolder'>;
/** Where the result goes: a relevance map stored in the database, or a sharded safetensors folder. */
export type AggregateTarget = 'map' | 'folder';
/** The dtype of a written folder; '' is the default (the base's when merged, else F32). */
export type FolderDtype = '' | 'F32' | 'BF16' | 'F16';

/** Aggregators whose result is a weight update, so θ_base + map is a model (weights/source-aggregate.ts). */
export const MERGEABLE_KINDS: readonly AggregatorSpecPayload['kind'][] = ['mean', 'median', 'ties', 'dare'];
export type AggregatorKind = AggregatorSpecPayload['kind'];

export const AGGREGATORS: readonly { kind: AggregatorKind; label: string; description: string }[] = [
  { kind: 'mean', label: 'Mean', description: 'mean of the deltas' },
  { kind: 'median', label: 'Median', description: 'elementwise median of the deltas' },
  { kind: 'mean-abs', label: 'Mean |Δ|', description: 'mean of the absolute deltas' },
  {
    kind: 'sign-agreement',
    label: 'Sign agreement',
    description: 'how consistently the deltas share a sign',
  },
  { kind: 'ties', label: 'TIES', description: 'trim to the top density, elect a sign, merge' },
  { kind: 'dare', label: 'DARE', description: 'drop entries at random and rescale' },
  {
    kind: 'null-normalized',
    label: 'Null-normalised',
    description: '|mean Δ| over |Δ| of a null-control fine-tune',
  },
  {
    kind: 'variance-ratio',
    label: 'Variance ratio',
    description: 'between-group over within-group variance of the deltas',
  },
];

/** A numeric parameter of an aggregator, as the dialog's field shows it (the spec checks its range). */
export interface AggregatorNumberParam {
  key: 'density' | 'lambda' | 'dropProbability' | 'seed';
  label: string;
  min?: number;
  max?: number;
  step: number;
}

/** The numeric parameters of each aggregator that has any, in the order the dialog shows them. */
export const AGGREGATOR_NUMBER_PARAMS: Readonly<
  Partial<Record<AggregatorKind, readonly AggregatorNumberParam[]>>
> = {
  ties: [
    { key: 'density', label: 'density', min: 0.01, max: 1, step: 0.01 },
    { key: 'lambda', label: 'λ', step: 0.1 },
  ],
  dare: [
    { key: 'dropProbability', label: 'drop probability', min: 0, max: 0.99, step: 0.05 },
    { key: 'seed', label: 'seed', step: 1 },
  ],
};

export interface AggregateForm {
  base: number | null;
  /** Fine-tuned checkpoints, in the order they were checked. */
  deltas: number[];
  kind: AggregatorKind;
  /** TIES: share of entries each delta keeps, and the scale of the merged delta. */
  density: number;
  lambda: number;
  /** DARE: drop probability, seed and how the rescaled deltas combine. */
  dropProbability: number;
  seed: number;
  combine: 'mean' | 'sum';
  /** null-normalized: the null-control checkpoint. */
  nullCheckpoint: number | null;
  /** variance-ratio: the group (objective) of each checked delta, by checkpoint id. */
  groups: Record<number, string>;
  name: string;
  target: AggregateTarget;
  /** The folder to write (target 'folder'): a path on the machine running Deltascope. */
  folder: string;
  /** Write θ_base + map (a merged model) instead of the map. */
  merge: boolean;
  dtype: FolderDtype;
}

export function defaultAggregateForm(): AggregateForm {
  return {
    base: null,
    deltas: [],
    kind: 'mean',
    density: 0.2,
    lambda: 1,
    dropProbability: 0.9,
    seed: 0,
    combine: 'mean',
    nullCheckpoint: null,
    groups: {},
    name: '',
    target: 'map',
    folder: '',
    merge: false,
    dtype: '',
  };
}

/** What the dialog starts from when opened on a diff's deltas: base A and the checked targets. */
export interface AggregatePreset {
  base: number;
  deltas: number[];
}

/** The preset of "Aggregate these deltas…": null unless A and every target are stored checkpoints. */
export function aggregatePreset(
  base: CheckpointRef,
  targets: readonly CheckpointRef[],
): AggregatePreset | null {
  if (!('checkpointId' in base)) return null;
  const deltas: number[] = [];
  for (const target of targets) {
    if (!('checkpointId' in target)) return null;
    if (target.checkpointId !== base.checkpointId && !deltas.includes(target.checkpointId))
      deltas.push(target.checkpointId);
  }
  return deltas.length === 0 ? null : { base: base.checkpointId, deltas };
}

/** The group of each delta for variance-ratio: its run's reward name, the natural objective label. */
export function defaultGroups(
  tree: readonly ExperimentNode[],
  ids: readonly number[],
): Record<number, string> {
  const groups: Record<number, string> = {};
  for (const experiment of tree) {
    for (const run of experiment.runs) {
      for (const c of run.checkpoints) if (ids.includes(c.id)) groups[c.id] = run.reward.name;
    }
  }
  return groups;
}

function aggregatorSpec(form: AggregateForm): AggregatorSpecPayload | string {
  switch (form.kind) {
    case 'ties':
      if (!(form.density > 0 && form.density <= 1)) return 'TIES density must be in (0, 1].';
      if (!Number.isFinite(form.lambda)) return 'TIES λ must be a finite number.';
      return { kind: 'ties', density: form.density, lambda: form.lambda };
    case 'dare':
      if (!(form.dropProbability >= 0 && form.dropProbability < 1))
        return 'DARE drop probability must be in [0, 1).';
      if (!Number.isInteger(form.seed)) return 'DARE seed must be a whole number.';
      return { kind: 'dare', dropProbability: form.dropProbability, seed: form.seed, combine: form.combine };
    case 'null-normalized':
      return { kind: 'null-normalized' };
    case 'variance-ratio': {
      const groups = form.deltas.map((id) => (form.groups[id] ?? '').trim());
      const missing = form.deltas.filter((_, i) => groups[i] === '');
      if (missing.length > 0)
        return `Name the group (objective) of checkpoint${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`;
      if (new Set(groups).size < 2) return 'Variance ratio needs at least two different groups.';
      return { kind: 'variance-ratio', groups };
    }
    default:
      return { kind: form.kind };
  }
}

/** The inputs both requests share (base, deltas, aggregator, null control), or what to fix. */
function aggregateInputs(form: AggregateForm): Omit<AggregateRequest, 'name' | 'jobId'> | { error: string } {
  if (form.base === null) return { error: 'Pick the base checkpoint.' };
  const deltas = form.deltas.filter((id) => id !== form.base);
  if (deltas.length === 0) return { error: 'Check at least one fine-tuned checkpoint.' };
  if (deltas.length > 64) return { error: `At most 64 fine-tuned checkpoints (${deltas.length} checked).` };
  const aggregator = aggregatorSpec({ ...form, deltas });
  if (typeof aggregator === 'string') return { error: aggregator };
  const inputs: Omit<AggregateRequest, 'name' | 'jobId'> = { base: form.base, deltas, aggregator };
  if (form.kind === 'null-normalized') {
    if (form.nullCheckpoint === null) return { error: 'Pick the null-control checkpoint.' };
    if (form.nullCheckpoint === form.base || deltas.includes(form.nullCheckpoint))
      return { error: 'The null-control checkpoint must differ from the base and the fine-tunes.' };
    inputs.nullDelta = form.nullCheckpoint;
  }
  return inputs;
}

/** The weights.aggregate request of a filled-in form, or a message saying what to fix. */
export function buildAggregateRequest(form: AggregateForm): AggregateRequest | { error: string } {
  const inputs = aggregateInputs(form);
  if ('error' in inputs) return inputs;
  const request: AggregateRequest = { ...inputs };
  const name = form.name.trim();
  if (name !== '') request.name = name;
  return request;
}

/** The weights.aggregateToFolder request of a filled-in form, or a message saying what to fix. */
export function buildAggregateFolderRequest(form: AggregateForm): AggregateFolderRequest | { error: string } {
  const inputs = aggregateInputs(form);
  if ('error' in inputs) return inputs;
  const folder = form.folder.trim();
  if (folder === '') return { error: 'Type the folder to write, e.g. /home/me/models/ties-merged.' };
  if (form.merge && !MERGEABLE_KINDS.includes(form.kind)) {
    const label = AGGREGATORS.find((a) => a.kind === form.kind)?.label ?? form.kind;
    return {
      error: `${label} gives a relevance map, not a weight update: untick "Merge into the base" (merging works with mean, median, TIES and DARE).`,
    };
  }
  const request: AggregateFolderRequest = { ...inputs, folder, merge: form.merge };
  if (form.dtype !== '') request.dtype = form.dtype;
  return request;
}

/** A folder name for the form's result: "ties-merged-over-12", "mean-of-3-over-12". */
export function suggestedFolderName(form: Pick<AggregateForm, 'kind' | 'base' | 'deltas' | 'merge'>): string {
  const over = form.base === null ? '' : `-over-${form.base}`;
  return form.merge ? `${form.kind}-merged${over}` : `${form.kind}-of-${form.deltas.length}${over}`;
}

export interface MassShareBar {
  name: string;
  value: number;
}

/** Σ|m_t| / Σ|m| per tensor, largest first (ties by name), as the bar chart draws it. */
export function massShareBars(map: RelevanceMapSummary): MassShareBar[] {
  return map.tensors
    .map((t) => ({ name: t.name, value: t.massShare }))
    .sort((x, y) => y.value - x.value || x.name.localeCompare(y.name));
}

/** One CSV row per tensor: name, shape, mass share, max |m|, mean m, largest share first. */
export function massShareRows(map: RelevanceMapSummary): (string | number)[][] {
  const byName = new Map(map.tensors.map((t) => [t.name, t]));
  return massShareBars(map).map(({ name }) => {
    const t = byName.get(name)!;
    return [t.name, t.shape.join('x'), t.massShare, t.maxAbs, t.mean];
  });
}

export const MASS_SHARE_COLUMNS = ['tensor', 'shape', 'mass_share', 'max_abs', 'mean'] as const;

/** "mean over base #1 of #2, #3" (plus the aggregator's parameters): what the list shows under a map's name. */
export function describeRecipe(map: RelevanceMapSummary): string {
  const { aggregator, base, inputs, params } = map.recipe;
  const extras = Object.entries(params)
    .filter(([key]) => key !== 'groups')
    .map(([key, value]) => `${key} ${String(value)}`);
  const tail = extras.length > 0 ? ` · ${extras.join(', ')}` : '';
  return `${aggregator} over base #${base} of #${inputs.join(', #')}${tail}`;
}
