import type Database from 'better-sqlite3';
import { createHash, type Hash } from 'node:crypto';
import type { TensorEntry } from '../shared/domain';
import { DeltascopeError } from '../shared/errors';
import {
  chunkRanges,
  decodeChunk,
  DTYPE_BYTES,
  encodeChunk,
  shapeSize,
  type SafetensorsDtype,
  type SourceTensor,
  type TensorSource,
} from '../weights';
import { sha256Hex } from './checkpoint-blob';
import type { Row } from './tables';

/**
 * Checkpoint weights as rows of `checkpoint_chunks` (migration 003): each tensor split into chunks
 * of at most `chunkBytes` (default 64 MiB, far below SQLite's 1 GB BLOB limit) in the tensor's own
 * dtype (float32, bfloat16 or float16), each row with the sha256 of its bytes. The checkpoint's
 * sha256 is that of every chunk's bytes in tensor and chunk order — for float32 checkpoints exactly
 * the sha256 of the single BLOB earlier versions stored, so migrated checkpoints keep their hash.
 */

export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

/** Manifest dtype → file dtype, and back (F64 is stored as float32). */
export const FILE_DTYPE: Record<TensorEntry['dtype'], SafetensorsDtype> = {
  float32: 'F32',
  bfloat16: 'BF16',
  float16: 'F16',
};
export function manifestDtype(dtype: SafetensorsDtype): TensorEntry['dtype'] {
  return dtype === 'BF16' ? 'bfloat16' : dtype === 'F16' ? 'float16' : 'float32';
}

export function bytesPerElement(dtype: TensorEntry['dtype']): number {
  return DTYPE_BYTES[FILE_DTYPE[dtype]];
}

/** Writes one checkpoint's chunks, hashing every byte in order for the checkpoint's sha256. */
export class ChunkWriter {
  private readonly whole: Hash = createHash('sha256');
  private readonly insert: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly checkpointId: number,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 8) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `the chunk size must be at least 8 bytes; got ${chunkBytes}`,
      );
    }
    this.insert = db.prepare(
      `INSERT INTO checkpoint_chunks (checkpoint_id, tensor_index, chunk_index, first_element, sha256, data)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Elements of `dtype` per chunk. */
  elementsPerChunk(dtype: TensorEntry['dtype']): number {
    return Math.floor(this.chunkBytes / bytesPerElement(dtype));
  }

  /** Stores `bytes` (elements already in `dtype`, little-endian) as tensor `tensorIndex`'s chunks. */
  writeBytes(tensorIndex: number, dtype: TensorEntry['dtype'], bytes: Uint8Array): void {
    const size = bytesPerElement(dtype);
    const count = bytes.byteLength / size;
    let chunk = 0;
    for (const [start, end] of chunkRanges(count, this.elementsPerChunk(dtype))) {
      this.put(tensorIndex, chunk++, start, bytes.subarray(start * size, end * size));
    }
  }

  /** Reads `tensor` from `source` chunk by chunk and stores it as `dtype`. */
  writeFromSource(
    tensorIndex: number,
    source: TensorSource,
    tensor: SourceTensor,
    dtype: TensorEntry['dtype'],
  ): void {
    const elements = Math.max(1, Math.min(tensor.count, this.elementsPerChunk(dtype)));
    const values = new Float32Array(elements);
    const raw = Buffer.alloc(elements * bytesPerElement(dtype));
    let chunk = 0;
    for (const [start, end] of chunkRanges(tensor.count, elements)) {
      const part = values.subarray(0, end - start);
      source.read(tensor.name, start, part);
      const bytes = raw.subarray(0, part.length * bytesPerElement(dtype));
      encodeChunk(FILE_DTYPE[dtype], part, bytes);
      this.put(tensorIndex, chunk++, start, bytes);
    }
  }

  /** The checkpoint's sha256 (call once, after the last chunk). */
  digest(): string {
    return this.whole.digest('hex');
  }

  private put(tensorIndex: number, chunkIndex: number, firstElement: number, bytes: Uint8Array): void {
    this.whole.update(bytes);
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.insert.run(this.checkpointId, tensorIndex, chunkIndex, firstElement, sha256Hex(bytes), buffer);
  }
}

type ChunkRow = Pick<
  Row<'checkpoint_chunks'>,
  'tensor_index' | 'chunk_index' | 'first_element' | 'sha256' | 'data'
>;

function damaged(path: string, checkpointId: number, problem: string): DeltascopeError {
  return new DeltascopeError(
    'DATABASE_CORRUPT',
    `${path} is damaged (checkpoint ${checkpointId}: ${problem}).`,
    {
      path,
      checkpointId,
    },
  );
}

function checkChunk(path: string, id: number, entry: TensorEntry, row: ChunkRow): void {
  if (sha256Hex(row.data) !== row.sha256) {
    throw damaged(
      path,
      id,
      `chunk ${row.chunk_index} of tensor \`${entry.name}\` does not match its sha256 checksum`,
    );
  }
}

/**
 * Every tensor of a checkpoint decoded into one float32 array (in manifest order), after checking
 * each chunk's sha256 and the checkpoint's. Returns the float32 layout of the manifest.
 */
export function readAllChunks(
  db: Database.Database,
  path: string,
  id: number,
  manifest: readonly TensorEntry[],
  sha256: string,
): { manifest: TensorEntry[]; weights: Float32Array } {
  const layout = float32Layout(manifest);
  const total = layout.reduce((sum, e) => sum + e.byteLength, 0) / 4;
  const weights = new Float32Array(total);
  const whole = createHash('sha256');
  const seen = new Array<number>(manifest.length).fill(0);
  const rows = db
    .prepare(
      'SELECT tensor_index, chunk_index, first_element, sha256, data FROM checkpoint_chunks WHERE checkpoint_id = ? ORDER BY tensor_index, chunk_index',
    )
    .iterate(id) as IterableIterator<ChunkRow>;
  for (const row of rows) {
    const entry = manifest[row.tensor_index];
    if (entry === undefined)
      throw damaged(path, id, `a chunk belongs to tensor #${row.tensor_index}, which the manifest lacks`);
    checkChunk(path, id, entry, row);
    whole.update(row.data);
    const size = bytesPerElement(entry.dtype);
    const count = row.data.byteLength / size;
    const start = layout[row.tensor_index]!.byteOffset / 4 + row.first_element;
    if (row.first_element + count > shapeSize(entry.shape) || !Number.isInteger(count)) {
      throw damaged(path, id, `chunk ${row.chunk_index} of tensor \`${entry.name}\` does not fit its shape`);
    }
    decodeChunk(FILE_DTYPE[entry.dtype], row.data, weights.subarray(start, start + count));
    seen[row.tensor_index]! += count;
  }
  manifest.forEach((entry, i) => {
    if (seen[i] !== shapeSize(entry.shape))
      throw damaged(path, id, `tensor \`${entry.name}\` is missing chunks`);
  });
  if (whole.digest('hex') !== sha256)
    throw damaged(path, id, 'the weights do not match their sha256 checksum');
  return { manifest: layout, weights };
}

/** The manifest as laid out in one float32 buffer (what readWeights returns). */
export function float32Layout(manifest: readonly TensorEntry[]): TensorEntry[] {
  let byteOffset = 0;
  return manifest.map((entry) => {
    const byteLength = shapeSize(entry.shape) * 4;
    const out = { ...entry, shape: [...entry.shape], dtype: 'float32' as const, byteOffset, byteLength };
    byteOffset += byteLength;
    return out;
  });
}

/**
 * A stored checkpoint as a lazy TensorSource: chunks are fetched when a read needs them, checked
 * against their sha256 once, and the last one is kept (the only memory the source holds).
 */
export function chunkSource(
  db: Database.Database,
  path: string,
  id: number,
  label: string,
  manifest: readonly TensorEntry[],
): TensorSource {
  const index = new Map(manifest.map((entry, i) => [entry.name, { entry, i }]));
  const list = db.prepare(
    'SELECT chunk_index, first_element, length(data) AS bytes FROM checkpoint_chunks WHERE checkpoint_id = ? AND tensor_index = ? ORDER BY chunk_index',
  );
  const fetch = db.prepare(
    'SELECT tensor_index, chunk_index, first_element, sha256, data FROM checkpoint_chunks WHERE checkpoint_id = ? AND tensor_index = ? AND chunk_index = ?',
  );
  const layouts = new Map<number, { chunk_index: number; first_element: number; bytes: number }[]>();
  let cached: { key: string; row: ChunkRow } | null = null;
  let peak = 0;
  /** The stored bytes of elements [start, start + count) of tensor `name`, piece by piece (one per chunk row met). */
  const eachPiece = (
    name: string,
    start: number,
    count: number,
    visit: (raw: Uint8Array, at: number, entry: TensorEntry) => void,
  ): void => {
    const found = index.get(name);
    if (found === undefined) throw new DeltascopeError('NOT_FOUND', `${label} has no tensor \`${name}\``);
    const { entry, i } = found;
    const size = bytesPerElement(entry.dtype);
    let chunks = layouts.get(i);
    if (chunks === undefined) {
      chunks = list.all(id, i) as { chunk_index: number; first_element: number; bytes: number }[];
      layouts.set(i, chunks);
    }
    const end = start + count;
    for (const chunk of chunks) {
      const chunkEnd = chunk.first_element + chunk.bytes / size;
      if (chunkEnd <= start || chunk.first_element >= end) continue;
      const key = `${i}:${chunk.chunk_index}`;
      if (cached?.key !== key) {
        cached = null;
        const row = fetch.get(id, i, chunk.chunk_index) as ChunkRow;
        checkChunk(path, id, entry, row);
        cached = { key, row };
        peak = Math.max(peak, row.data.byteLength);
      }
      const from = Math.max(start, chunk.first_element);
      const to = Math.min(end, chunkEnd);
      visit(
        cached.row.data.subarray((from - chunk.first_element) * size, (to - chunk.first_element) * size),
        from - start,
        entry,
      );
    }
  };
  return {
    label,
    tensors: manifest.map((e) => ({
      name: e.name,
      shape: [...e.shape],
      dtype: FILE_DTYPE[e.dtype],
      count: shapeSize(e.shape),
    })),
    metadata: {},
    read(name, start, out) {
      eachPiece(name, start, out.length, (raw, at, entry) =>
        decodeChunk(
          FILE_DTYPE[entry.dtype],
          raw,
          out.subarray(at, at + raw.length / bytesPerElement(entry.dtype)),
        ),
      );
    },
    readRaw(name, start, count, scratch) {
      const entry = index.get(name)?.entry;
      const bytes = entry === undefined ? 0 : count * bytesPerElement(entry.dtype);
      if (scratch.length < bytes) {
        throw new DeltascopeError(
          'INVALID_PAYLOAD',
          `${label}: a raw read of ${count} elements of \`${name}\` needs ${bytes} bytes; the buffer has ${scratch.length}`,
        );
      }
      // A range within one chunk row is a view of it; one across rows is copied into `scratch`.
      let view: Uint8Array | null = null;
      eachPiece(name, start, count, (raw, at) => {
        if (at === 0 && raw.length === bytes) view = raw;
        else scratch.set(raw, (at * bytes) / count);
      });
      return view ?? scratch.subarray(0, bytes);
    },
    peakBytesHeld: () => peak,
    close() {
      cached = null;
    },
  };
}
