import { z } from 'zod';

/**
 * Every table's row as better-sqlite3 returns it, declared once: the repositories' row types are
 * `Pick`s of `Row<'table'>`, and tests/integration/store/tables.test.ts checks each declaration
 * against the schema the migrations build (`PRAGMA table_info`: names, order, declared types and
 * NOT NULL), so a migration that changes a table without this file fails there.
 */

const integer = z.number().int();
const real = z.number();
const text = z.string();
const blob = z.instanceof(Uint8Array);

/** The SQLite declared type of each column schema (checked against the migrations). */
export const COLUMN_TYPES = new Map<z.ZodType, string>([
  [integer, 'INTEGER'],
  [real, 'REAL'],
  [text, 'TEXT'],
  [blob, 'BLOB'],
]);

export const TABLES = {
  experiments: z.object({
    id: integer,
    name: text,
    description: text,
    spec: text.nullable(),
    created_at: text,
  }),
  runs: z.object({
    id: integer,
    experiment_id: integer,
    name: text,
    phase: text,
    reward: text,
    seed: integer.nullable(),
    status: text,
    backend: text.nullable(),
    parent_checkpoint_id: integer.nullable(),
    config: text,
    created_at: text,
  }),
  checkpoints: z.object({
    id: integer,
    run_id: integer,
    step: integer,
    label: text,
    parent_checkpoint_id: integer.nullable(),
    tensor_count: integer,
    param_count: integer,
    byte_length: integer,
    sha256: text,
    provenance: text,
    manifest: text,
    resume_state: text.nullable(),
    created_at: text,
    weights: blob,
    optimizer_state: blob.nullable(),
  }),
  metrics: z.object({
    run_id: integer,
    key: text,
    step: integer,
    value: real.nullable(),
  }),
  artifacts: z.object({
    id: integer,
    experiment_id: integer.nullable(),
    kind: text,
    schema_version: integer,
    name: text,
    recipe: text,
    manifest: text.nullable(),
    created_at: text,
    data: blob.nullable(),
  }),
  checkpoint_chunks: z.object({
    id: integer,
    checkpoint_id: integer,
    tensor_index: integer,
    chunk_index: integer,
    first_element: integer,
    sha256: text,
    data: blob,
  }),
  /** Checkpoints whose weights stay in the user's files (migration 004). */
  checkpoint_references: z.object({ checkpoint_id: integer, path: text, fingerprint: text }),
  /** Which migrations a file has had (migrate.ts). */
  deltascope_migrations: z.object({ version: integer, name: text, applied_at: text }),
} as const;

export type TableName = keyof typeof TABLES;
/** One row of `table`, every column. BLOBs arrive as Buffers (Uint8Arrays). */
export type Row<T extends TableName> = z.output<(typeof TABLES)[T]>;
