import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseParams } from '../shared/validate';
import { defineCommand } from './define-command';
import { withWeights } from './weights-cli';

export const importCommand = defineCommand({
  name: 'import',
  summary: 'import a .safetensors or tfjs model as a checkpoint',
  usage: 'import [--reference] <file|folder> --db <file.deltascope> [options]',
  description: `Imports a model file as a checkpoint: a .safetensors file (F32, F16, BF16, F64),
a Hugging Face model folder (model.safetensors.index.json + shards, or
model.safetensors), or a TensorFlow.js layers model (its model.json, or the
folder holding it).
Tensor names are kept. The checkpoint goes to a run named after the file (phase
"imported") in the experiment "imported". A malformed file writes nothing.
NaN or ±Infinity values are imported as they are, with a warning on stderr and
their count per tensor in the checkpoint's provenance (details.nonFinite).
With --reference, a safetensors file or folder is not copied: the checkpoint
points at it, with each file's size, modification time and sha256 (whole and
per 16 MiB block); every read checks them and refuses the checkpoint, naming
the file and what changed, once a file changed or went.
Prints the new checkpoint's id.

  deltascope import ./TinyLlama-1.1B --reference --db runs.deltascope`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: '--db <file.deltascope> is required.',
      help: 'the database to import into (required; created, and said so on stderr, if missing)',
    },
    label: { type: 'string', value: '<text>', help: 'label of the checkpoint (default: the file name)' },
    experiment: { type: 'string', value: '<name>', help: 'experiment to import into (default "imported")' },
    reference: {
      type: 'boolean',
      help: 'point at the safetensors file or folder in place (recording its size, mtime and sha256) instead of copying it',
    },
    json: { type: 'boolean', help: 'print the checkpoint, run and source dtypes as JSON' },
  },
  args: { count: 1, message: 'import needs exactly one model file.' },
  async run({ values, positionals }, io) {
    const params = parseParams('weights.import', {
      path: positionals[0],
      ...(values.label === undefined ? {} : { label: values.label }),
      ...(values.experiment === undefined ? {} : { experiment: values.experiment }),
      ...(values.reference === true ? { reference: true } : {}),
    });
    const dbPath = resolve(values.db);
    const isNew = !existsSync(dbPath);
    let result;
    try {
      result = await withWeights(dbPath, io, (handlers) => handlers['weights.import'](params), 'create');
    } catch (error) {
      // A refused file leaves no new, empty database behind.
      if (isNew) for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
      throw error;
    }
    if (result.nonFinite !== null) {
      const where = Object.entries(result.nonFinite.tensors)
        .map(([name, count]) => `\`${name}\` ${count}`)
        .join(', ');
      io.err(
        `warning: ${result.nonFinite.total} values are NaN or ±Infinity (${where}); imported as they are and noted in checkpoint ${result.checkpoint.id}'s provenance (details.nonFinite).`,
      );
    }
    io.out(values.json ? JSON.stringify(result, null, 2) : String(result.checkpoint.id));
    return 0;
  },
});
