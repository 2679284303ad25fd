import { configFolder } from '../api/weights/weights-aggregate-folder';
import { openDatabase, type DeltascopeDb } from '../store';
import { writeSafetensorsFolder, type SafetensorsDtype } from '../weights';
import { UsageError } from './command';

/**
 * `combine --out <folder>` and `export --format hf`: a saved checkpoint written as a Hugging Face sharded safetensors
 * folder (shards + model.safetensors.index.json), read chunk by chunk from the store, with the
 * config.json of the model its inputs were imported from, so the result loads in the usual tools.
 */

const DTYPES: Record<string, SafetensorsDtype> = { f32: 'F32', bf16: 'BF16', f16: 'F16' };

export function parseDtype(text: string | undefined): SafetensorsDtype | undefined {
  if (text === undefined) return undefined;
  const dtype = DTYPES[text.toLowerCase()];
  if (dtype === undefined) throw new UsageError(`--dtype must be f32, bf16 or f16; got "${text}"`);
  return dtype;
}

/** The stored dtype shared by the inputs' tensors (so a BF16 model's merge stays BF16), else F32. */
function inputsDtype(db: DeltascopeDb, checkpointIds: readonly number[]): SafetensorsDtype {
  const dtypes = new Set(checkpointIds.flatMap((id) => db.checkpoints.get(id).tensors.map((t) => t.dtype)));
  if (dtypes.size !== 1) return 'F32';
  const [only] = dtypes;
  return only === 'bfloat16' ? 'BF16' : only === 'float16' ? 'F16' : 'F32';
}

/** Writes checkpoint `id` of the database at `dbPath` to `out`; returns the files written. */
export function writeCheckpointFolder(
  dbPath: string,
  id: number,
  out: string,
  options: { dtype?: SafetensorsDtype | undefined; maxShardBytes?: number | undefined },
): string[] {
  const db = openDatabase(dbPath);
  try {
    const checkpoint = db.checkpoints.get(id);
    // A merge's inputs, or the checkpoint itself (an import exported again).
    const inputs = checkpoint.provenance.inputs.length > 0 ? checkpoint.provenance.inputs : [id];
    const source = db.checkpoints.openSource(id);
    try {
      return writeSafetensorsFolder(out, source, {
        dtype: options.dtype ?? inputsDtype(db, inputs),
        configFrom: configFolder(db, inputs),
        metadata: { generatedBy: 'Deltascope', checkpointId: String(id), label: checkpoint.label },
        ...(options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes }),
      });
    } finally {
      source.close();
    }
  } finally {
    db.close();
  }
}
