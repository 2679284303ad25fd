import { z } from 'zod';
import {
  ProvenanceSchema,
  TensorEntrySchema,
  type CheckpointDetail,
  type CheckpointSummary,
  type TensorEntry,
} from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import {
  float32View,
  manifestProblem,
  packTensors,
  sha256Hex,
  sliceTensors,
  type TensorInput,
} from './checkpoint-blob';
import {
  notFound,
  parseInput,
  parseJsonColumn,
  parseStored,
  requireId,
  requireRow,
  requireStep,
  toJsonText,
} from './row-checks';
import type { StoreContext } from './store-context';

export interface PutCheckpointInput {
  runId: number;
  step: number;
  label: string;
  parentCheckpointId?: number | null;
  tensors: TensorInput[];
  provenance: z.input<typeof ProvenanceSchema>;
  /** Opaque optimizer state (e.g. Adam moments) for resuming training. */
  optimizerState?: Uint8Array | null;
  /** Small JSON needed to resume training (RNG state, schedule position, …). */
  resumeState?: unknown;
}

interface SummaryRow {
  id: number;
  run_id: number;
  step: number;
  label: string;
  parent_checkpoint_id: number | null;
  tensor_count: number;
  param_count: number;
  byte_length: number;
  sha256: string;
  provenance: string;
  created_at: string;
}

// Only columns stored before the BLOBs, so listing never reads weight pages.
const SUMMARY_COLUMNS =
  'id, run_id, step, label, parent_checkpoint_id, tensor_count, param_count, byte_length, sha256, provenance, created_at';

const ManifestSchema = z.array(TensorEntrySchema);

/** The `checkpoints` table: tensor manifest, float32 weights BLOB with its sha256, and resume state. */
export class CheckpointsRepo {
  constructor(private readonly ctx: StoreContext) {}

  /** Validates everything, then writes the checkpoint row in one transaction. */
  put(input: PutCheckpointInput): CheckpointSummary {
    const runId = requireId(input.runId, 'checkpoint runId');
    const step = requireStep(input.step, 'checkpoint step');
    if (typeof input.label !== 'string')
      throw new DeltascopeError('INVALID_PAYLOAD', 'checkpoint label must be a string.');
    const parentId = input.parentCheckpointId ?? null;
    if (parentId !== null) requireId(parentId, 'parentCheckpointId');
    const provenance = parseInput(ProvenanceSchema, input.provenance, 'provenance');
    const optimizerState = input.optimizerState ?? null;
    if (optimizerState !== null && !(optimizerState instanceof Uint8Array)) {
      throw new DeltascopeError('INVALID_PAYLOAD', 'optimizerState must be a Uint8Array or null.');
    }
    const resumeState = input.resumeState === undefined ? null : toJsonText(input.resumeState, 'resumeState');
    const packed = packTensors(input.tensors);

    return this.ctx.write(() => {
      requireRow(this.ctx, 'run', runId);
      if (parentId !== null) requireRow(this.ctx, 'checkpoint', parentId);
      const result = this.ctx
        .statement(
          `INSERT INTO checkpoints (run_id, step, label, parent_checkpoint_id, tensor_count, param_count, byte_length,
             sha256, provenance, manifest, resume_state, created_at, weights, optimizer_state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          runId,
          step,
          input.label,
          parentId,
          packed.manifest.length,
          packed.paramCount,
          packed.blob.byteLength,
          packed.sha256,
          JSON.stringify(provenance),
          JSON.stringify(packed.manifest),
          resumeState,
          new Date().toISOString(),
          packed.blob,
          optimizerState === null ? null : asBuffer(optimizerState),
        );
      return this.getSummary(Number(result.lastInsertRowid));
    });
  }

  get(id: number): CheckpointDetail {
    requireId(id, 'checkpoint id');
    return this.ctx.run(() => {
      const summary = this.getSummary(id);
      return { ...summary, tensors: this.readManifest(id, summary.byteLength) };
    });
  }

  listByRun(runId: number): CheckpointSummary[] {
    requireId(runId, 'run id');
    return this.ctx.read(() => {
      requireRow(this.ctx, 'run', runId);
      const rows = this.ctx
        .statement(`SELECT ${SUMMARY_COLUMNS} FROM checkpoints WHERE run_id = ? ORDER BY id`)
        .all(runId);
      return (rows as SummaryRow[]).map((row) => this.toSummary(row));
    });
  }

  /** Every checkpoint's summary, by id (for the experiment tree). */
  listAll(): CheckpointSummary[] {
    return this.ctx.run(() => {
      const rows = this.ctx.statement(`SELECT ${SUMMARY_COLUMNS} FROM checkpoints ORDER BY id`).all();
      return (rows as SummaryRow[]).map((row) => this.toSummary(row));
    });
  }

  /** The checkpoint with the highest step (newest on ties), or null when the run has none. */
  latestForRun(runId: number): CheckpointSummary | null {
    requireId(runId, 'run id');
    return this.ctx.read(() => {
      requireRow(this.ctx, 'run', runId);
      const row = this.ctx
        .statement(
          `SELECT ${SUMMARY_COLUMNS} FROM checkpoints WHERE run_id = ? ORDER BY step DESC, id DESC LIMIT 1`,
        )
        .get(runId) as SummaryRow | undefined;
      return row === undefined ? null : this.toSummary(row);
    });
  }

  /** The weights BLOB as one Float32Array (a view, not a copy), after checking its sha256. */
  readWeights(id: number): { manifest: TensorEntry[]; weights: Float32Array } {
    requireId(id, 'checkpoint id');
    return this.ctx.read(() => {
      const row = this.ctx
        .statement('SELECT byte_length, sha256, weights FROM checkpoints WHERE id = ?')
        .get(id) as { byte_length: number; sha256: string; weights: Buffer } | undefined;
      if (row === undefined) throw notFound(this.ctx, 'checkpoint', id);
      if (row.weights.byteLength !== row.byte_length || sha256Hex(row.weights) !== row.sha256) {
        throw new DeltascopeError(
          'DATABASE_CORRUPT',
          `${this.ctx.path} is damaged (the weights of checkpoint ${id} do not match their sha256 checksum).`,
          { path: this.ctx.path, checkpointId: id },
        );
      }
      return { manifest: this.readManifest(id, row.byte_length), weights: float32View(row.weights) };
    });
  }

  /** Each tensor by name, as subarray views over one weights buffer. */
  readTensors(id: number): Map<string, { shape: number[]; data: Float32Array }> {
    const { manifest, weights } = this.readWeights(id);
    return sliceTensors(manifest, weights);
  }

  /**
   * One tensor, read with SQL substr() so only its bytes leave SQLite: aggregations over many
   * checkpoints stream tensor by tensor instead of holding every checkpoint whole. The whole-blob
   * sha256 cannot be checked on a partial read; readWeights does that.
   */
  readTensor(id: number, name: string): { shape: number[]; data: Float32Array } {
    requireId(id, 'checkpoint id');
    return this.ctx.read(() => {
      const summary = this.getSummary(id);
      const entry = this.readManifest(id, summary.byteLength).find((tensor) => tensor.name === name);
      if (entry === undefined) {
        throw new DeltascopeError('NOT_FOUND', `Checkpoint ${id} has no tensor \`${name}\`.`, {
          checkpointId: id,
          tensor: name,
        });
      }
      const row = this.ctx
        .statement('SELECT substr(weights, ?, ?) AS bytes FROM checkpoints WHERE id = ?')
        .get(entry.byteOffset + 1, entry.byteLength, id) as { bytes: Buffer | null } | undefined;
      const bytes = row?.bytes ?? Buffer.alloc(0);
      if (bytes.byteLength !== entry.byteLength) {
        throw new DeltascopeError(
          'DATABASE_CORRUPT',
          `${this.ctx.path} is damaged (tensor \`${name}\` of checkpoint ${id} has ${bytes.byteLength} bytes, expected ${entry.byteLength}).`,
          { path: this.ctx.path, checkpointId: id },
        );
      }
      return { shape: [...entry.shape], data: float32View(bytes) };
    });
  }

  readResume(id: number): { optimizerState: Uint8Array | null; resumeState: unknown } {
    requireId(id, 'checkpoint id');
    return this.ctx.run(() => {
      const row = this.ctx
        .statement('SELECT resume_state, optimizer_state FROM checkpoints WHERE id = ?')
        .get(id) as { resume_state: string | null; optimizer_state: Buffer | null } | undefined;
      if (row === undefined) throw notFound(this.ctx, 'checkpoint', id);
      return {
        optimizerState: row.optimizer_state === null ? null : asUint8Array(row.optimizer_state),
        resumeState:
          row.resume_state === null
            ? null
            : parseJsonColumn(this.ctx, row.resume_state, `resume state of checkpoint ${id}`),
      };
    });
  }

  private getSummary(id: number): CheckpointSummary {
    const row = this.ctx.statement(`SELECT ${SUMMARY_COLUMNS} FROM checkpoints WHERE id = ?`).get(id) as
      SummaryRow | undefined;
    if (row === undefined) throw notFound(this.ctx, 'checkpoint', id);
    return this.toSummary(row);
  }

  private readManifest(id: number, byteLength: number): TensorEntry[] {
    const text = this.ctx
      .statement('SELECT manifest FROM checkpoints WHERE id = ?')
      .pluck()
      .get(id) as string;
    const manifest = parseStored(this.ctx, ManifestSchema, text, `manifest of checkpoint ${id}`);
    const problem = manifestProblem(manifest, byteLength);
    if (problem !== null) {
      throw new DeltascopeError(
        'DATABASE_CORRUPT',
        `${this.ctx.path} is damaged (checkpoint ${id}: ${problem}).`,
        {
          path: this.ctx.path,
          checkpointId: id,
        },
      );
    }
    return manifest;
  }

  private toSummary(row: SummaryRow): CheckpointSummary {
    return {
      id: row.id,
      runId: row.run_id,
      step: row.step,
      label: row.label,
      parentCheckpointId: row.parent_checkpoint_id,
      tensorCount: row.tensor_count,
      paramCount: row.param_count,
      byteLength: row.byte_length,
      sha256: row.sha256,
      provenance: parseStored(
        this.ctx,
        ProvenanceSchema,
        row.provenance,
        `provenance of checkpoint ${row.id}`,
      ),
      createdAt: row.created_at,
    };
  }
}

/** better-sqlite3 binds Buffers as BLOBs; wrap a plain Uint8Array without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array view over a Buffer (the renderer boundary knows nothing of Buffer). */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
