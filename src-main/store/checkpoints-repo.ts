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
  checkFingerprintStats,
  fingerprintDigest,
  ModelFingerprintSchema,
  openSafetensorsSource,
  shapeSize,
  type ModelFingerprint,
  type TensorSource,
} from '../weights';
import { checkTensors, manifestProblem, sliceTensors, type TensorInput } from './checkpoint-blob';
import {
  ChunkWriter,
  chunkSource,
  DEFAULT_CHUNK_BYTES,
  manifestDtype,
  bytesPerElement,
  readAllChunks,
  float32Layout,
} from './checkpoint-chunks';
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
import { StoreContext } from './store-context';
import type { Row } from './tables';

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
  /** Largest chunk row in bytes (default 64 MiB; tests use small ones). */
  chunkBytes?: number;
}

/** A checkpoint written from a lazy source (an import of any size); tensors keep their dtype. */
export type PutSourceInput = Omit<PutCheckpointInput, 'tensors'>;

/** Where a checkpoint imported by reference keeps its weights (migration 004). */
export interface CheckpointReference {
  /** The .safetensors file or model folder, absolute, as given at import. */
  path: string;
  fingerprint: ModelFingerprint;
}

type SummaryRow = Omit<Row<'checkpoints'>, 'manifest' | 'resume_state' | 'weights' | 'optimizer_state'>;

// Only columns stored before the BLOBs, so listing never reads weight pages.
const SUMMARY_COLUMNS =
  'id, run_id, step, label, parent_checkpoint_id, tensor_count, param_count, byte_length, sha256, provenance, created_at';

const ManifestSchema = z.array(TensorEntrySchema);

/** The `checkpoints` table (manifest, sha256, resume state) and its `checkpoint_chunks` (the weights). */
export class CheckpointsRepo {
  constructor(private readonly ctx: StoreContext) {}

  /** Validates everything, then writes the checkpoint row and its float32 chunks in one transaction. */
  put(input: PutCheckpointInput): CheckpointSummary {
    const paramCount = checkTensors(input.tensors);
    const manifest = layout(
      input.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' as const })),
    );
    return this.write(input, manifest, paramCount, (id) => {
      const writer = new ChunkWriter(this.ctx.db, id, input.chunkBytes ?? DEFAULT_CHUNK_BYTES);
      input.tensors.forEach((t, i) => {
        writer.writeBytes(i, 'float32', new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
      return writer.digest();
    });
  }

  /**
   * Writes a checkpoint read chunk by chunk from `source` (never whole), each tensor in its own dtype
   * (F64 as float32), in one transaction: an interrupted import leaves nothing behind.
   */
  putFromSource(input: PutSourceInput, source: TensorSource): CheckpointSummary {
    const { manifest, paramCount } = sourceLayout(source);
    return this.write(input, manifest, paramCount, (id) => {
      const writer = new ChunkWriter(this.ctx.db, id, input.chunkBytes ?? DEFAULT_CHUNK_BYTES);
      source.tensors.forEach((t, i) => writer.writeFromSource(i, source, t, manifest[i]!.dtype));
      return writer.digest();
    });
  }

  /**
   * A checkpoint whose weights stay in `reference.path` (a .safetensors file or model folder),
   * nothing copied: the row keeps the manifest (each tensor in its file dtype), `sha256` is that of
   * the file (a folder: of its files' names and hashes), and every later read checks the files
   * against `reference.fingerprint` (REFERENCE_CHANGED naming the checkpoint and file otherwise).
   */
  putReference(input: PutSourceInput, reference: CheckpointReference): CheckpointSummary {
    const fingerprint = parseInput(ModelFingerprintSchema, reference.fingerprint, 'reference fingerprint');
    const source = openSafetensorsSource(reference.path, {
      expect: { fingerprint, owner: `the checkpoint being imported from ${reference.path}` },
    });
    try {
      const { manifest, paramCount } = sourceLayout(source);
      return this.write(input, manifest, paramCount, (id) => {
        this.ctx
          .statement('INSERT INTO checkpoint_references (checkpoint_id, path, fingerprint) VALUES (?, ?, ?)')
          .run(id, reference.path, JSON.stringify(fingerprint));
        return fingerprintDigest(fingerprint);
      });
    } finally {
      source.close();
    }
  }

  /** Where a checkpoint imported by reference keeps its weights; null for a stored checkpoint. */
  reference(id: number): CheckpointReference | null {
    requireId(id, 'checkpoint id');
    return this.ctx.run(() => {
      const row = this.ctx
        .statement('SELECT path, fingerprint FROM checkpoint_references WHERE checkpoint_id = ?')
        .get(id) as { path: string; fingerprint: string } | undefined;
      if (row === undefined) return null;
      return {
        path: row.path,
        fingerprint: parseStored(
          this.ctx,
          ModelFingerprintSchema,
          row.fingerprint,
          `reference fingerprint of checkpoint ${id}`,
        ),
      };
    });
  }

  /**
   * Whether a referenced checkpoint's files still have their size and mtime (no hashing; nothing
   * for a stored checkpoint): what a cached copy of its weights checks before it is used again.
   */
  checkReference(id: number): void {
    const reference = this.reference(id);
    if (reference !== null) {
      checkFingerprintStats(reference.path, {
        fingerprint: reference.fingerprint,
        owner: `checkpoint ${id}`,
      });
    }
  }

  private openReferenced(id: number, reference: CheckpointReference): TensorSource {
    const source = openSafetensorsSource(reference.path, {
      expect: { fingerprint: reference.fingerprint, owner: `checkpoint ${id}` },
    });
    return { ...source, label: `checkpoint ${id}`, read: source.read, close: source.close };
  }

  private write(
    input: PutSourceInput,
    manifest: TensorEntry[],
    paramCount: number,
    /** Writes the weights (chunks, or the reference) of the new row `id`; returns their sha256. */
    fill: (id: number) => string,
  ): CheckpointSummary {
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
    const byteLength = manifest.reduce((sum, e) => sum + e.byteLength, 0);

    return this.ctx.write(() => {
      requireRow(this.ctx, 'run', runId);
      if (parentId !== null) requireRow(this.ctx, 'checkpoint', parentId);
      // The weights column is written empty since migration 003: the chunks hold the weights.
      const result = this.ctx
        .statement(
          `INSERT INTO checkpoints (id, run_id, step, label, parent_checkpoint_id, tensor_count, param_count, byte_length,
             sha256, provenance, manifest, resume_state, created_at, weights, optimizer_state)
           VALUES (${StoreContext.nextIdSql('checkpoints')}, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, X'', ?)`,
        )
        .run(
          this.ctx.idFloor,
          runId,
          step,
          input.label,
          parentId,
          manifest.length,
          paramCount,
          byteLength,
          JSON.stringify(provenance),
          JSON.stringify(manifest),
          resumeState,
          new Date().toISOString(),
          optimizerState === null ? null : asBuffer(optimizerState),
        );
      const id = Number(result.lastInsertRowid);
      this.ctx.statement('UPDATE checkpoints SET sha256 = ? WHERE id = ?').run(fill(id), id);
      return this.getSummary(id);
    });
  }

  /**
   * Adds entries to the `details` of a checkpoint's provenance, in the caller's transaction: what an
   * import found while streaming the file in (e.g. its NaN count) is only known after the row exists.
   */
  addProvenanceDetails(id: number, details: Record<string, unknown>): CheckpointSummary {
    requireId(id, 'checkpoint id');
    return this.ctx.write(() => {
      const { provenance } = this.getSummary(id);
      const merged = parseInput(
        ProvenanceSchema,
        { ...provenance, details: { ...provenance.details, ...details } },
        'provenance',
      );
      this.ctx
        .statement('UPDATE checkpoints SET provenance = ? WHERE id = ?')
        .run(JSON.stringify(merged), id);
      return this.getSummary(id);
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

  /**
   * Every tensor decoded into one Float32Array, with the manifest of that float32 layout, after
   * checking each chunk's sha256 and the checkpoint's.
   */
  readWeights(id: number): { manifest: TensorEntry[]; weights: Float32Array } {
    requireId(id, 'checkpoint id');
    const reference = this.reference(id);
    if (reference !== null) return this.readReferenced(id, reference);
    return this.ctx.read(() => {
      const summary = this.getSummary(id);
      const manifest = this.readManifest(id, summary.byteLength);
      return readAllChunks(this.ctx.db, this.ctx.path, id, manifest, summary.sha256);
    });
  }

  /** Every tensor of a referenced checkpoint, read (and checked block by block) from its files. */
  private readReferenced(
    id: number,
    reference: CheckpointReference,
  ): { manifest: TensorEntry[]; weights: Float32Array } {
    const summary = this.getSummary(id);
    const layoutOut = float32Layout(this.readManifest(id, summary.byteLength));
    const weights = new Float32Array(layoutOut.reduce((sum, e) => sum + e.byteLength, 0) / 4);
    const source = this.openReferenced(id, reference);
    try {
      for (const entry of layoutOut) {
        const start = entry.byteOffset / 4;
        const part = weights.subarray(start, start + entry.byteLength / 4);
        if (part.length > 0) source.read(entry.name, 0, part);
      }
    } finally {
      source.close();
    }
    return { manifest: layoutOut, weights };
  }

  /** Each tensor by name, as subarray views over one weights buffer. */
  readTensors(id: number): Map<string, { shape: number[]; data: Float32Array }> {
    const { manifest, weights } = this.readWeights(id);
    return sliceTensors(manifest, weights);
  }

  /**
   * One tensor, from its own chunks only (each checked against its sha256): aggregations over many
   * checkpoints stream tensor by tensor instead of holding every checkpoint whole.
   */
  readTensor(id: number, name: string): { shape: number[]; data: Float32Array } {
    requireId(id, 'checkpoint id');
    return this.ctx.read(() => {
      const source = this.openSource(id);
      try {
        const tensor = source.tensors.find((t) => t.name === name);
        if (tensor === undefined) {
          throw new DeltascopeError('NOT_FOUND', `Checkpoint ${id} has no tensor \`${name}\`.`, {
            checkpointId: id,
            tensor: name,
          });
        }
        const data = new Float32Array(tensor.count);
        if (tensor.count > 0) source.read(name, 0, data);
        return { shape: [...tensor.shape], data };
      } finally {
        source.close();
      }
    });
  }

  /**
   * The checkpoint as a lazy TensorSource (tensors in their stored dtype, read chunk by chunk): for
   * diffs and exports of checkpoints too large to hold. Reads run on this connection.
   */
  openSource(id: number): TensorSource {
    requireId(id, 'checkpoint id');
    const reference = this.reference(id);
    if (reference !== null) return this.openReferenced(id, reference);
    return this.ctx.run(() => {
      const summary = this.getSummary(id);
      const manifest = this.readManifest(id, summary.byteLength);
      const source = chunkSource(this.ctx.db, this.ctx.path, id, `checkpoint ${id}`, manifest);
      return {
        ...source,
        read: (name: string, start: number, out: Float32Array) =>
          this.ctx.run(() => source.read(name, start, out)),
      };
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

/** Manifest entries laid out back to back, each in its dtype's bytes. */
/** The manifest of a lazy source's tensors, each in its own dtype, and their parameter count. */
function sourceLayout(source: TensorSource): { manifest: TensorEntry[]; paramCount: number } {
  if (source.tensors.length === 0) {
    throw new DeltascopeError('INVALID_PAYLOAD', `${source.label} holds no tensors.`);
  }
  const manifest = layout(
    source.tensors.map((t) => ({ name: t.name, shape: [...t.shape], dtype: manifestDtype(t.dtype) })),
  );
  return { manifest, paramCount: source.tensors.reduce((sum, t) => sum + t.count, 0) };
}

function layout(tensors: { name: string; shape: number[]; dtype: TensorEntry['dtype'] }[]): TensorEntry[] {
  let byteOffset = 0;
  return tensors.map((t) => {
    const byteLength = shapeSize(t.shape) * bytesPerElement(t.dtype);
    const entry = { name: t.name, shape: [...t.shape], dtype: t.dtype, byteOffset, byteLength };
    byteOffset += byteLength;
    return entry;
  });
}

/** better-sqlite3 binds Buffers as BLOBs; wrap a plain Uint8Array without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array view over a Buffer (the renderer boundary knows nothing of Buffer). */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
