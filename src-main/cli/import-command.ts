import { parseArgs } from 'node:util';
import { parseParams } from '../shared/validate';
import { UsageError, type CliCommand } from './command';
import { withWeights } from './weights-cli';

const HELP = `Usage: deltascope import <file> --db <file.deltascope> [options]

Imports a model file as a checkpoint: a .safetensors file (F32, F16, BF16, F64),
a Hugging Face model folder (model.safetensors.index.json + shards, or
model.safetensors), or a TensorFlow.js layers model (its model.json, or the
folder holding it).
Tensor names are kept. The checkpoint goes to a run named after the file (phase
"imported") in the experiment "imported". A malformed file writes nothing.
Prints the new checkpoint's id.

Options:
  --db <file>          the database to import into (required)
  --label <text>       label of the checkpoint (default: the file name)
  --experiment <name>  experiment to import into (default "imported")
  --json               print the checkpoint, run and source dtypes as JSON
  -h, --help           show this help`;

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import a .safetensors or tfjs model as a checkpoint',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        label: { type: 'string' },
        experiment: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('import needs exactly one model file.');
    if (values.db === undefined) throw new UsageError('--db <file.deltascope> is required.');
    const params = parseParams('weights.import', {
      path: positionals[0],
      ...(values.label === undefined ? {} : { label: values.label }),
      ...(values.experiment === undefined ? {} : { experiment: values.experiment }),
    });
    const result = await withWeights(values.db, io, (handlers) => handlers['weights.import'](params));
    io.out(values.json ? JSON.stringify(result, null, 2) : String(result.checkpoint.id));
    return 0;
  },
};
