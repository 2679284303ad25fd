import { parseParams } from '../shared/validate';
import { UsageError } from './command';
import { defineCommand } from './define-command';
import { parseDtype, writeCheckpointFolder } from './model-folder-out';
import { parseNumber, parseRef, withWeights } from './weights-cli';

function pairs(values: string[] | undefined, what: string): [string, string][] {
  return (values ?? []).map((text) => {
    const at = text.indexOf('=');
    if (at < 1) throw new UsageError(`${what} expects NAME=VALUE; got "${text}"`);
    return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
  });
}

export const combineCommand = defineCommand({
  name: 'combine',
  summary: "save a linear combination of checkpoints, e.g. '2*#12 - #31'",
  usage: "combine '<formula>' --db <file.deltascope> [options]",
  description: `Saves a linear combination of checkpoints as a new checkpoint and prints its id
(one id per line with --alpha-grid). #12 is checkpoint 12; names are bound with
--bind and --set. The result goes to a run of phase "derived" (default name
"derived") in the experiment of the formula's first checkpoint.

  deltascope combine '2*#12 - #31' --db runs.deltascope
  deltascope combine 'A - alpha*(B - A)' --bind A=12 --bind B=31 --alpha-grid 0,0.5,1 --db runs.deltascope`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: '--db <file.deltascope> is required.',
      help: 'the database (required)',
    },
    bind: {
      type: 'string',
      value: 'NAME=ID',
      multiple: true,
      help: 'bind a name to a checkpoint (repeatable)',
    },
    set: {
      type: 'string',
      value: 'NAME=NUMBER',
      multiple: true,
      help: 'bind a name to a number (repeatable)',
    },
    'alpha-grid': { type: 'string', value: 'a,b,…', help: 'save one checkpoint per value of `alpha`' },
    label: { type: 'string', value: '<text>', help: 'checkpoint label (default: the formula)' },
    out: {
      type: 'string',
      value: '<folder>',
      help: "also write the result as a Hugging Face sharded safetensors folder (shards + index + the inputs' source config.json); the folder must not exist; not with --alpha-grid",
    },
    dtype: {
      type: 'string',
      value: 'f32|bf16|f16',
      help: "dtype of --out (default: the inputs' stored dtype)",
    },
    'shard-size': { type: 'string', value: '<bytes>', help: 'largest shard of --out (default 2 GiB)' },
    'run-name': { type: 'string', value: '<name>', help: 'derived run to save into (default "derived")' },
    json: { type: 'boolean', help: 'print the saved checkpoints as JSON' },
  },
  args: { count: 1, message: 'combine needs exactly one formula (quote it).' },
  async run({ values, positionals }, io) {
    const checkpoints = Object.fromEntries(
      pairs(values.bind, '--bind').map(([name, value]) => {
        const ref = parseRef(value);
        if (!('checkpointId' in ref))
          throw new UsageError(`--bind ${name} needs a checkpoint id; got "${value}"`);
        return [name, ref.checkpointId];
      }),
    );
    const scalars = Object.fromEntries(
      pairs(values.set, '--set').map(([name, value]) => [name, parseNumber(value, `--set ${name}`)]),
    );
    const grid = values['alpha-grid'];
    if (values.out !== undefined && grid !== undefined) {
      throw new UsageError('--out writes one result; it cannot be combined with --alpha-grid.');
    }
    const dtype = parseDtype(values.dtype);
    const shardSize =
      values['shard-size'] === undefined ? undefined : parseNumber(values['shard-size'], '--shard-size');
    const params = parseParams('weights.combine', {
      formula: positionals[0],
      bindings: { checkpoints, scalars },
      ...(grid === undefined
        ? {}
        : { alphaGrid: grid.split(',').map((v) => parseNumber(v, '--alpha-grid')) }),
      ...(values.label === undefined ? {} : { label: values.label }),
      ...(values['run-name'] === undefined ? {} : { runName: values['run-name'] }),
    });
    const result = await withWeights(values.db, io, (handlers) => handlers['weights.combine'](params));
    const written =
      values.out === undefined
        ? []
        : writeCheckpointFolder(values.db, result.results[0]!.checkpoint.id, values.out, {
            dtype,
            maxShardBytes: shardSize,
          });
    if (values.json) io.out(JSON.stringify({ ...result, written }, null, 2));
    else {
      for (const r of result.results) io.out(String(r.checkpoint.id));
      if (written.length > 0) io.err(`wrote ${values.out} (${written.length} files)`);
    }
    return 0;
  },
});
