import type { CheckpointRef } from '../shared/contract-weights';
import { parseParams } from '../shared/validate';
import { openDatabase, type DeltascopeDb } from '../store';
import { combinedSource, parseFormula, type SafetensorsDtype } from '../weights';
import { UsageError, type CliIo } from './command';
import { defineCommand } from './define-command';
import { parseDtype, writeCheckpointFolder } from './model-folder-out';
import { FILE_ID_BASE, OpenedSources, parseBudget, writeResultFolder } from './source-refs';
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
  usage: "combine '<formula>' (--db <file.deltascope> | --out <folder>) [options]",
  description: `Saves a linear combination of checkpoints as a new checkpoint and prints its id
(one id per line with --alpha-grid). #12 is checkpoint 12; names are bound with
--bind and --set. The result goes to a run of phase "derived" (default name
"derived") in the experiment of the formula's first checkpoint.
A name bound to a model file or folder (--bind A=./base) combines the files
themselves: nothing is saved in a database, and the result is written to --out
as a sharded safetensors folder (with the config.json of the first input that
has one). Every input is read chunk by chunk, so models of any size combine
within --memory-budget.

  deltascope combine '2*#12 - #31' --db runs.deltascope
  deltascope combine 'A - alpha*(B - A)' --bind A=12 --bind B=31 --alpha-grid 0,0.5,1 --db runs.deltascope
  deltascope combine 'A - 0.5*(B - A)' --bind A=./base --bind B=./rl-tuned --out ./negated`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      help: 'the database (needed unless every input is a model file or folder)',
    },
    bind: {
      type: 'string',
      value: 'NAME=ID|PATH',
      multiple: true,
      help: 'bind a name to a checkpoint, or to a model file or folder (repeatable)',
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
    'memory-budget': {
      type: 'string',
      value: '<bytes>',
      help: 'bytes the chunks of a combination of files may hold (default 1 GiB)',
    },
    json: { type: 'boolean', help: 'print the saved checkpoints as JSON' },
  },
  args: { count: 1, message: 'combine needs exactly one formula (quote it).' },
  async run({ values, positionals }, io) {
    const binds = pairs(values.bind, '--bind').map(([name, value]) => [name, parseRef(value)] as const);
    binds.forEach(([name, ref]) => {
      if ('artifactId' in ref)
        throw new UsageError(`--bind ${name} needs a checkpoint, a model file or a folder`);
    });
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
    if (binds.some(([, ref]) => 'file' in ref)) {
      if (values.out === undefined) {
        throw new UsageError(
          'a formula over model files or folders is not saved in a database: give --out <folder>.',
        );
      }
      return combineFiles(positionals[0]!, binds, scalars, {
        db: values.db,
        out: values.out,
        dtype,
        shardSize,
        budget: parseBudget(values['memory-budget']),
        json: values.json === true,
        io,
      });
    }
    if (values.db === undefined) throw new UsageError('--db <file.deltascope> is required.');
    const checkpoints = Object.fromEntries(
      binds.map(([name, ref]) => [name, (ref as { checkpointId: number }).checkpointId]),
    );
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

/**
 * Σ cᵢ·θᵢ over model files and folders (and stored checkpoints, with --db) streamed into a sharded
 * folder: one chunk of each input at a time, never a whole model.
 */
async function combineFiles(
  formulaText: string,
  binds: (readonly [string, CheckpointRef])[],
  scalars: Record<string, number>,
  options: {
    db: string | undefined;
    out: string;
    dtype: SafetensorsDtype | undefined;
    shardSize: number | undefined;
    budget: number | undefined;
    json: boolean;
    io: CliIo;
  },
): Promise<number> {
  const files = new Map<number, string>();
  const checkpoints = Object.fromEntries(
    binds.map(([name, ref], i) => {
      if ('file' in ref) {
        files.set(FILE_ID_BASE + i, ref.file);
        return [name, FILE_ID_BASE + i];
      }
      return [name, (ref as { checkpointId: number }).checkpointId];
    }),
  );
  const formula = parseFormula(formulaText, { checkpoints, scalars });
  let db: DeltascopeDb | null = null;
  const database = (): DeltascopeDb => {
    if (options.db === undefined) {
      throw new UsageError('the formula names stored checkpoints: pass --db <file.deltascope>.');
    }
    db ??= openDatabase(options.db, { readOnly: true });
    return db;
  };
  const opened = new OpenedSources();
  try {
    const terms = [];
    for (const term of formula.terms) {
      const file = files.get(term.id);
      const ref = file === undefined ? { checkpointId: term.id } : { file };
      terms.push({ coefficient: term.coefficient, source: await opened.open(ref, database) });
    }
    const combined = combinedSource(terms, {
      label: formulaText,
      readerBytesPerElement: 12,
      ...(options.budget === undefined ? {} : { memoryBudgetBytes: options.budget }),
    });
    const written = writeResultFolder(options.out, combined, {
      dtype: options.dtype,
      maxShardBytes: options.shardSize,
      configFrom: opened.configFrom,
      metadata: { formula: formulaText },
      chunkElements: combined.chunkElements,
    });
    const summary = {
      terms: formula.terms.map((t) => ({ input: files.get(t.id) ?? `#${t.id}`, coefficient: t.coefficient })),
      written,
    };
    if (options.json) options.io.out(JSON.stringify(summary, null, 2));
    else options.io.err(`wrote ${options.out} (${written.length} files)`);
    return 0;
  } finally {
    opened.close();
    (db as DeltascopeDb | null)?.close();
  }
}
