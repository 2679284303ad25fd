import { existsSync, statSync } from 'node:fs';
import { parseParams } from '../shared/validate';
import { UsageError } from './command';
import { defineCommand } from './define-command';
import { writeCheckpointFolder } from './model-folder-out';
import { parseRef, withWeights } from './weights-cli';

function defaultFormat(path: string): 'safetensors' | 'tfjs' {
  if (path.toLowerCase().endsWith('.json')) return 'tfjs';
  return existsSync(path) && statSync(path).isDirectory() ? 'tfjs' : 'safetensors';
}

export const exportCommand = defineCommand({
  name: 'export',
  summary: 'write a checkpoint as .safetensors or a tfjs model',
  usage: 'export <checkpointId> <path> --db <file.deltascope> [options]',
  description: `Writes a stored checkpoint as an F32 .safetensors file, or as a TensorFlow.js
layers model (model.json plus 4 MiB shards) into the folder <path> (created if
its parent exists) or as the model file <path>.json, or (--format hf) as a
Hugging Face sharded safetensors folder <path> (shards of ≤ 2 GB, an index, the
config.json of the folder it was imported from), streamed from the store in its
stored dtype. Tensor names are kept.
Refuses existing files, shards included, unless --force is given (the database
never).`,
  options: {
    db: {
      type: 'string',
      value: '<file>',
      required: '--db <file.deltascope> is required.',
      help: 'the database holding the checkpoint (required)',
    },
    format: {
      type: 'string',
      value: 'safetensors|tfjs|hf',
      help: `the file format (default: tfjs when <path> ends in
.json or is a folder, else safetensors)`,
    },
    force: { type: 'boolean', help: 'overwrite existing files' },
  },
  args: { count: 2, message: 'export needs a checkpoint id and a path.' },
  async run({ values, positionals }, io) {
    const ref = parseRef(positionals[0]!);
    if (!('checkpointId' in ref))
      throw new UsageError(`"${positionals[0]}" is not a checkpoint id (e.g. 12 or #12).`);
    const format = values.format ?? defaultFormat(positionals[1]!);
    if (format === 'hf') {
      const written = writeCheckpointFolder(values.db, ref.checkpointId, positionals[1]!, {});
      io.out(`wrote checkpoint ${ref.checkpointId} as a Hugging Face folder:`);
      for (const path of written) io.out(`  ${path}`);
      return 0;
    }
    if (format !== 'safetensors' && format !== 'tfjs') {
      throw new UsageError(`--format must be safetensors, tfjs or hf; got "${format}"`);
    }
    const params = parseParams('weights.export', {
      checkpointId: ref.checkpointId,
      path: positionals[1],
      format,
      overwrite: values.force === true,
    });
    const result = await withWeights(values.db, io, (handlers) => handlers['weights.export'](params), 'read');
    io.out(
      `wrote checkpoint ${ref.checkpointId} (${result.tensorCount} tensors, ${result.paramCount} params) as ${result.format}:`,
    );
    for (const path of result.paths) io.out(`  ${path}`);
    return 0;
  },
});
