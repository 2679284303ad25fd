import type Database from 'better-sqlite3';
import { DeltascopeError } from '../../shared/errors';
import { ChunkWriter } from '../checkpoint-chunks';
import type { Migration } from './migration';

/**
 * Checkpoint weights move from one BLOB per checkpoint (capped by SQLite at 1 GB) to rows of
 * `checkpoint_chunks`: ≤ 64 MiB per row, in the tensor's own dtype, each with its sha256
 * (checkpoint-chunks.ts). `upgrade` splits every stored BLOB into chunks, checks that the chunks
 * hash to the checkpoint's recorded sha256 (so hashes and values are unchanged), and empties the
 * old column, which stays (SQLite cannot drop a NOT NULL column without rebuilding the table) and
 * is written empty from now on. `first_element` is the chunk's first element within its tensor.
 */

interface Row {
  id: number;
  sha256: string;
  manifest: string;
  weights: Buffer;
}

function upgrade(db: Database.Database): void {
  const ids = db
    .prepare('SELECT id FROM checkpoints WHERE length(weights) > 0 ORDER BY id')
    .pluck()
    .all() as number[];
  const read = db.prepare('SELECT id, sha256, manifest, weights FROM checkpoints WHERE id = ?');
  const empty = db.prepare("UPDATE checkpoints SET weights = X'' WHERE id = ?");
  for (const id of ids) {
    const row = read.get(id) as Row;
    const manifest = JSON.parse(row.manifest) as { byteOffset: number; byteLength: number }[];
    const writer = new ChunkWriter(db, id);
    manifest.forEach((entry, i) => {
      writer.writeBytes(
        i,
        'float32',
        row.weights.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength),
      );
    });
    if (writer.digest() !== row.sha256) {
      throw new DeltascopeError(
        'DATABASE_CORRUPT',
        `checkpoint ${id}'s weights do not match their sha256 checksum, so they cannot be moved to chunked storage; the file was left as it was.`,
        { checkpointId: id },
      );
    }
    empty.run(id);
  }
}

export const migration003: Migration = {
  version: 3,
  name: 'chunked-weights',
  sql: `
CREATE TABLE checkpoint_chunks (
  id            INTEGER PRIMARY KEY,
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id) ON DELETE CASCADE,
  tensor_index  INTEGER NOT NULL,
  chunk_index   INTEGER NOT NULL,
  first_element INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  data          BLOB NOT NULL
);
CREATE UNIQUE INDEX checkpoint_chunks_position ON checkpoint_chunks(checkpoint_id, tensor_index, chunk_index);
`,
  upgrade,
};
