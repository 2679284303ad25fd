import type { z } from 'zod';
import {
  ARTIFACT_SCHEMA_VERSION,
  ARTIFACT_SCHEMAS,
  type ArtifactContent,
  type ArtifactContentInput,
  type ArtifactKind,
  type ArtifactManifest,
  type ArtifactRecipe,
} from './artifact-schemas';
import type { TensorEntry } from './domain';
import { DeltascopeError } from './errors';

/**
 * The one encoder and decoder of stored artifacts (shapes in artifact-schemas.ts). A decode failure
 * is DATABASE_CORRUPT naming the artifact id, its kind and the failing path (`recipe.base`,
 * `data.rows.0.alpha`, …), with `details: { artifactId, kind, path }`; never a silent null.
 */

/** An artifact row as the store reads it (`data` absent when only the summary was read). */
export interface StoredArtifactRow {
  id: number;
  kind: string;
  schemaVersion: number;
  recipe: unknown;
  manifest: unknown;
  data?: Uint8Array | null;
}

/** What the store's `artifacts.put` takes: produced only by `encodeArtifact`. */
export interface EncodedArtifact {
  experimentId: number | null;
  kind: ArtifactKind;
  name: string;
  schemaVersion: number;
  recipe: unknown;
  manifest: unknown;
  data: Uint8Array | null;
}

const FLOAT32_BYTES = 4;

type Part = 'recipe' | 'manifest' | 'data';

function firstIssue(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  return {
    path: issue === undefined ? '' : issue.path.map(String).join('.'),
    message: issue?.message ?? 'invalid',
  };
}

function joinPath(part: string, path: string): string {
  return path === '' ? part : `${part}.${path}`;
}

/** DATABASE_CORRUPT naming the artifact, its kind and where it fails. */
export function artifactDecodeError(
  row: Pick<StoredArtifactRow, 'id' | 'kind'>,
  path: string,
  message: string,
): DeltascopeError {
  return new DeltascopeError(
    'DATABASE_CORRUPT',
    `Artifact ${row.id} (${row.kind}) cannot be read: ${path}: ${message}.`,
    { artifactId: row.id, kind: row.kind, path },
  );
}

function parsePart<S extends z.ZodType>(
  row: Pick<StoredArtifactRow, 'id' | 'kind'>,
  part: string,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error);
  throw artifactDecodeError(row, joinPath(part, issue.path), issue.message);
}

function checkedKind<K extends ArtifactKind>(
  row: Pick<StoredArtifactRow, 'id' | 'kind' | 'schemaVersion'>,
  kind: K,
): K {
  if (row.kind !== kind) {
    throw new DeltascopeError('NOT_FOUND', `Artifact ${row.id} is a "${row.kind}", not a "${kind}".`, {
      artifactId: row.id,
      kind: row.kind,
    });
  }
  if (row.schemaVersion !== ARTIFACT_SCHEMA_VERSION) {
    const why =
      row.schemaVersion > ARTIFACT_SCHEMA_VERSION
        ? `written by a newer Deltascope (artifact schema v${row.schemaVersion}; this version reads v${ARTIFACT_SCHEMA_VERSION})`
        : `artifact schema v${row.schemaVersion} could not be upgraded to v${ARTIFACT_SCHEMA_VERSION}`;
    throw artifactDecodeError(row, 'schemaVersion', why);
  }
  return kind;
}

/** Recipe and manifest of an artifact (no data read): what lists show. */
export function decodeArtifactHead<K extends ArtifactKind>(
  kind: K,
  row: StoredArtifactRow,
): { recipe: ArtifactRecipe<K>; manifest: ArtifactManifest<K> } {
  const schemas = ARTIFACT_SCHEMAS[checkedKind(row, kind)];
  return {
    recipe: parsePart(row, 'recipe', schemas.recipe, row.recipe) as ArtifactRecipe<K>,
    manifest: parsePart(row, 'manifest', schemas.manifest, row.manifest) as ArtifactManifest<K>,
  };
}

/** The whole content of an artifact of kind K (`row.data` must have been read). */
export function decodeArtifact<K extends ArtifactKind>(kind: K, row: StoredArtifactRow): ArtifactContent<K> {
  const head = decodeArtifactHead(kind, row);
  const spec = ARTIFACT_SCHEMAS[kind].data;
  const bytes = row.data ?? null;
  let data: unknown = null;
  if (spec.encoding === 'json') {
    if (bytes === null) throw artifactDecodeError(row, 'data', 'missing (expected UTF-8 JSON)');
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw artifactDecodeError(row, 'data', `not UTF-8 JSON (${(error as Error).message})`);
    }
    data = parsePart(row, 'data', spec.schema, raw);
  } else if (spec.encoding === 'float32') {
    const entries = (spec.entries as (manifest: unknown) => readonly TensorEntry[])(head.manifest);
    data = decodeFloat32(row, bytes, entries);
  }
  return { ...head, data } as ArtifactContent<K>;
}

function decodeFloat32(
  row: StoredArtifactRow,
  bytes: Uint8Array | null,
  entries: readonly TensorEntry[],
): Float32Array {
  if (bytes === null) throw artifactDecodeError(row, 'data', 'missing (expected float32 values)');
  const expected = entries.reduce((end, e) => Math.max(end, e.byteOffset + e.byteLength), 0);
  if (bytes.byteLength % FLOAT32_BYTES !== 0 || bytes.byteLength !== expected) {
    throw artifactDecodeError(
      row,
      'data',
      `holds ${bytes.byteLength} bytes; its manifest lays out ${expected} bytes of float32`,
    );
  }
  entries.forEach((entry, index) => {
    const elements = entry.shape.reduce((n, d) => n * d, 1);
    if (entry.dtype !== 'float32' || entry.byteLength !== elements * FLOAT32_BYTES) {
      throw artifactDecodeError(
        row,
        `manifest.entries.${index}`,
        `tensor \`${entry.name}\` of shape [${entry.shape.join(',')}] does not have ${elements} float32 values`,
      );
    }
  });
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/**
 * The row to store for an artifact of kind K: its content checked against the kind's schemas (a
 * writer producing another shape is a bug, reported as INTERNAL with the path) and its data encoded.
 */
export function encodeArtifact<K extends ArtifactKind>(
  kind: K,
  head: { experimentId: number | null; name: string },
  content: ArtifactContentInput<K>,
): EncodedArtifact {
  const schemas = ARTIFACT_SCHEMAS[kind];
  const check = <S extends z.ZodType>(part: Part, schema: S, value: unknown): z.output<S> => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = firstIssue(parsed.error);
    throw new DeltascopeError(
      'INTERNAL',
      `Cannot store ${kind} artifact "${head.name}": ${joinPath(part, issue.path)}: ${issue.message}.`,
      { kind, path: joinPath(part, issue.path) },
    );
  };
  const recipe = check('recipe', schemas.recipe, content.recipe);
  const manifest = check('manifest', schemas.manifest, content.manifest);
  const spec = schemas.data;
  let data: Uint8Array | null = null;
  if (spec.encoding === 'json') {
    data = new TextEncoder().encode(JSON.stringify(check('data', spec.schema, content.data)));
  } else if (spec.encoding === 'float32') {
    const floats = content.data as Float32Array;
    const entries = (spec.entries as (manifest: unknown) => readonly TensorEntry[])(manifest);
    const expected = entries.reduce((end, e) => Math.max(end, e.byteOffset + e.byteLength), 0);
    if (floats.byteLength !== expected) {
      throw new DeltascopeError(
        'INTERNAL',
        `Cannot store ${kind} artifact "${head.name}": data holds ${floats.byteLength} bytes; the manifest lays out ${expected}.`,
        { kind, path: 'data' },
      );
    }
    data = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
  }
  return {
    experimentId: head.experimentId,
    kind,
    name: head.name,
    schemaVersion: ARTIFACT_SCHEMA_VERSION,
    recipe,
    manifest,
    data,
  };
}

/** Decodes every row that reads, and marks the others with their reason instead of failing. */
export function decodeEach<R extends StoredArtifactRow, T>(
  rows: readonly R[],
  decode: (row: R) => T,
): ({ ok: true; value: T } | { ok: false; row: R; error: DeltascopeError })[] {
  return rows.map((row) => {
    try {
      return { ok: true as const, value: decode(row) };
    } catch (error) {
      if (!(error instanceof DeltascopeError)) throw error;
      return { ok: false as const, row, error };
    }
  });
}
