import { AggregatorSpecSchema } from '../shared/contract-weights';
import { describeIssues } from '../shared/validate';
import { openDatabase, type DeltascopeDb } from '../store';
import { writeAggregateFolder } from '../api/weights/weights-aggregate-folder';
import { AGGREGATOR_KINDS, type AggregatorSpec } from '../weights';
import { UsageError } from './command';
import { defineCommand } from './define-command';
import { parseDtype } from './model-folder-out';
import { OpenedSources, parseBudget } from './source-refs';
import { parseNumber, parseRef } from './weights-cli';

/** The aggregator's spec from its flags, checked against the contract's schema (usage error naming the field). */
function specFrom(values: {
  aggregator: string;
  density?: string | undefined;
  lambda?: string | undefined;
  drop?: string | undefined;
  seed?: string | undefined;
  combine?: string | undefined;
  groups?: string | undefined;
  'floor-fraction'?: string | undefined;
  epsilon?: string | undefined;
}): AggregatorSpec {
  const number = (flag: keyof typeof values) =>
    values[flag] === undefined ? undefined : parseNumber(values[flag], `--${flag}`);
  const raw: Record<string, unknown> = { kind: values.aggregator };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) raw[key] = value;
  };
  if (values.aggregator === 'ties') {
    set('density', number('density'));
    set('lambda', number('lambda'));
  } else if (values.aggregator === 'dare') {
    set('dropProbability', number('drop'));
    set('seed', number('seed') ?? 0);
    set('combine', values.combine);
  } else if (values.aggregator === 'null-normalized') {
    set('floorFraction', number('floor-fraction'));
  } else if (values.aggregator === 'variance-ratio') {
    set(
      'groups',
      values.groups?.split(',').map((g) => g.trim()),
    );
    set('epsilon', number('epsilon'));
  }
  const parsed = AggregatorSpecSchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error, 'the aggregator'));
  return parsed.data as AggregatorSpec;
}

export const aggregateCommand = defineCommand({
  name: 'aggregate',
  summary: 'fold deltas (TIES, DARE, mean, …) into a sharded safetensors folder',
  usage: 'aggregate --base <ref> --delta <ref>… --aggregator <kind> --out <folder> [options]',
  description: `Folds the deltas Δᵢ = θᵢ − θ_base of fine-tuned models into one map and writes it
as a Hugging Face sharded safetensors folder (shards + model.safetensors.index.json
+ the base's config.json); with --merge, writes the merged model θ_base + map
(mean, median, ties, dare), so it loads in the usual tools. A <ref> is a model
file or folder, or a stored checkpoint id (with --db). Tensors stream one chunk
at a time within --memory-budget (TIES reads a tensor too large to hold with its
deltas three times); a model of any size fits.

  deltascope aggregate --base ./base --delta ./rl-a --delta ./rl-b --delta ./rl-c \\
    --aggregator ties --density 0.2 --merge --out ./ties-merged`,
  options: {
    base: {
      type: 'string',
      value: '<ref>',
      required: '--base <ref> is required.',
      help: 'the model every delta is taken from',
    },
    delta: {
      type: 'string',
      value: '<ref>',
      multiple: true,
      help: 'a fine-tuned model (repeatable; at least one)',
    },
    null: {
      type: 'string',
      value: '<ref>',
      multiple: true,
      help: 'a null control for null-normalized (repeatable)',
    },
    aggregator: {
      type: 'string',
      value: '<kind>',
      required: `--aggregator is required: ${AGGREGATOR_KINDS.join(', ')}.`,
      help: AGGREGATOR_KINDS.join(' | '),
    },
    density: { type: 'string', value: '<0..1>', help: 'ties: share of entries each delta keeps' },
    lambda: { type: 'string', value: '<x>', help: 'ties: scale of the merged delta (default 1)' },
    drop: { type: 'string', value: '<p>', help: 'dare: drop probability in [0, 1)' },
    seed: { type: 'string', value: '<n>', help: 'dare: seed of the drop masks (default 0)' },
    combine: {
      type: 'string',
      value: 'mean|sum',
      help: 'dare: how the rescaled deltas combine (default mean)',
    },
    groups: { type: 'string', value: 'a,b,…', help: 'variance-ratio: the objective of each delta, in order' },
    'floor-fraction': {
      type: 'string',
      value: '<f>',
      help: 'null-normalized: floor of the null scale (default 0.1)',
    },
    epsilon: { type: 'string', value: '<e>', help: 'variance-ratio: ε added to the within-group variance' },
    merge: { type: 'boolean', help: 'write θ_base + map (a merged model) instead of the map' },
    out: {
      type: 'string',
      value: '<folder>',
      required: '--out <folder> is required.',
      help: 'the folder to write (must not exist, or be empty)',
    },
    dtype: {
      type: 'string',
      value: 'f32|bf16|f16',
      help: "dtype of --out (default: the base's with --merge, else f32)",
    },
    'shard-size': { type: 'string', value: '<bytes>', help: 'largest shard of --out (default 2 GiB)' },
    'memory-budget': {
      type: 'string',
      value: '<bytes>',
      help: 'bytes the aggregation may hold (default 1 GiB)',
    },
    db: { type: 'string', value: '<file>', help: 'the database, for inputs given as checkpoint ids' },
    json: { type: 'boolean', help: 'print the files written as JSON' },
  },
  args: {
    count: 0,
    message: 'aggregate takes no positional arguments; name the inputs with --base and --delta.',
  },
  async run({ values }, io) {
    const deltas = values.delta ?? [];
    if (deltas.length === 0)
      throw new UsageError('--delta <ref> is required (at least one fine-tuned model).');
    const spec = specFrom({ ...values, aggregator: values.aggregator });
    const dtype = parseDtype(values.dtype);
    const budget = parseBudget(values['memory-budget']);
    let db: DeltascopeDb | null = null;
    const database = (): DeltascopeDb => {
      if (values.db === undefined)
        throw new UsageError('an input is a stored checkpoint: pass --db <file.deltascope>.');
      db ??= openDatabase(values.db, { readOnly: true });
      return db;
    };
    const opened = new OpenedSources();
    try {
      const base = await opened.open(parseRef(values.base), database);
      const deltaSources = [];
      for (const ref of deltas) deltaSources.push(await opened.open(parseRef(ref), database));
      const nullSources = [];
      for (const ref of values.null ?? []) nullSources.push(await opened.open(parseRef(ref), database));
      const written = writeAggregateFolder({
        spec,
        base,
        deltas: deltaSources,
        nulls: nullSources,
        merge: values.merge === true,
        out: values.out,
        dtype,
        maxShardBytes:
          values['shard-size'] === undefined ? undefined : parseNumber(values['shard-size'], '--shard-size'),
        memoryBudgetBytes: budget,
        configFrom: opened.configFrom,
        baseName: values.base,
        deltaNames: deltas,
      }).files;
      if (values.json) io.out(JSON.stringify({ spec, merged: values.merge === true, written }, null, 2));
      else io.err(`wrote ${values.out} (${written.length} files)`);
      return 0;
    } finally {
      opened.close();
      (db as DeltascopeDb | null)?.close();
    }
  },
});
