import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseParams } from '../shared/validate';
import { UsageError, type CliCommand } from './command';
import { parseRef, withWeights } from './weights-cli';

const HELP = `Usage: deltascope export <checkpointId> <path> --db <file.deltascope> [options]

Writes a stored checkpoint as an F32 .safetensors file, or as a TensorFlow.js
layers model (model.json plus 4 MiB shards) into the folder <path> (created if
its parent exists) or as the model file <path>.json. Tensor names are kept.
Refuses existing files, shards included, unless --force is given (the database
never).

Options:
  --db <file>               the database holding the checkpoint (required)
  --format safetensors|tfjs the file format (default: tfjs when <path> ends in
                            .json or is a folder, else safetensors)
  --force                   overwrite existing files
  -h, --help                show this help`;

function defaultFormat(path: string): 'safetensors' | 'tfjs' {
  if (path.toLowerCase().endsWith('.json')) return 'tfjs';
  return existsSync(path) && statSync(path).isDirectory() ? 'tfjs' : 'safetensors';
}

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a checkpoint as .safetensors or a tfjs model',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        db: { type: 'string' },
        format: { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('export needs a checkpoint id and a path.');
    if (values.db === undefined) throw new UsageError('--db <file.deltascope> is required.');
    const ref = parseRef(positionals[0]!);
    if (!('checkpointId' in ref))
      throw new UsageError(`"${positionals[0]}" is not a checkpoint id (e.g. 12 or #12).`);
    const format = values.format ?? defaultFormat(positionals[1]!);
    if (format !== 'safetensors' && format !== 'tfjs') {
      throw new UsageError(`--format must be safetensors or tfjs; got "${format}"`);
    }
    const params = parseParams('weights.export', {
      checkpointId: ref.checkpointId,
      path: positionals[1],
      format,
      overwrite: values.force === true,
    });
    const result = await withWeights(values.db, io, (handlers) => handlers['weights.export'](params));
    io.out(
      `wrote checkpoint ${ref.checkpointId} (${result.tensorCount} tensors, ${result.paramCount} params) as ${result.format}:`,
    );
    for (const path of result.paths) io.out(`  ${path}`);
    return 0;
  },
};
