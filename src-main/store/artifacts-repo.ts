import { DeltascopeError } from '../shared/errors';
import { notFound, parseJsonColumn, requireId, requireRow, requireText, toJsonText } from './row-checks';
import { StoreContext } from './store-context';
import type { Row } from './tables';

/**
 * An artifact row to store. The app makes it with `encodeArtifact` (shared/artifact-codec.ts), which
 * checks it against its kind's schemas and stamps the artifact schema version; the store itself only
 * checks that the columns can be written.
 */
export interface PutArtifactInput {
  /** Null for analyses that span experiments. */
  experimentId: number | null;
  kind: string;
  /** Version of the kind's shape it was written with (ARTIFACT_SCHEMA_VERSION). */
  schemaVersion: number;
  name: string;
  /** How to recompute it, as JSON. */
  recipe: unknown;
  /** Describes `data` (e.g. tensor layout), as JSON. */
  manifest?: unknown;
  data?: Uint8Array | null;
}

/** A stored artifact without its data. Decode recipe and manifest with `decodeArtifactHead`. */
export interface ArtifactSummary {
  id: number;
  experimentId: number | null;
  kind: string;
  /** Artifact schema version it was written with (shared/artifact-schemas.ts). */
  schemaVersion: number;
  name: string;
  recipe: unknown;
  manifest: unknown;
  /** Size of `data` in bytes, or null when there is none. */
  byteLength: number | null;
  createdAt: string;
}

export interface Artifact extends Omit<ArtifactSummary, 'byteLength'> {
  data: Uint8Array | null;
}

/** Every column but `data`, whose size SUMMARY_COLUMNS reads as byte_length. */
type ArtifactRow = Omit<Row<'artifacts'>, 'data'> & { byte_length: number | null };

// length(data) reads the BLOB's size from the record header, not its pages.
const SUMMARY_COLUMNS =
  'id, experiment_id, kind, schema_version, name, recipe, manifest, created_at, length(data) AS byte_length';

/** The `artifacts` table: stored outputs of analyses, with the recipe that produced them. */
export class ArtifactsRepo {
  constructor(private readonly ctx: StoreContext) {}

  put(input: PutArtifactInput): { id: number } {
    const experimentId =
      input.experimentId === null ? null : requireId(input.experimentId, 'artifact experimentId');
    const kind = requireText(input.kind, 'artifact kind');
    const name = requireText(input.name, 'artifact name');
    const recipe = toJsonText(input.recipe, `recipe of artifact "${name}"`);
    const manifest =
      input.manifest === undefined ? null : toJsonText(input.manifest, `manifest of artifact "${name}"`);
    const schemaVersion = requireId(input.schemaVersion, `schema version of artifact "${name}"`);
    const data = input.data ?? null;
    if (data !== null && !(data instanceof Uint8Array)) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        `data of artifact "${name}" must be a Uint8Array or null.`,
      );
    }
    return this.ctx.write(() => {
      if (experimentId !== null) requireRow(this.ctx, 'experiment', experimentId);
      const result = this.ctx
        .statement(
          `INSERT INTO artifacts (id, experiment_id, kind, schema_version, name, recipe, manifest, created_at, data)
           VALUES (${StoreContext.nextIdSql('artifacts')}, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          this.ctx.idFloor,
          experimentId,
          kind,
          schemaVersion,
          name,
          recipe,
          manifest,
          new Date().toISOString(),
          data === null ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        );
      return { id: Number(result.lastInsertRowid) };
    });
  }

  get(id: number): Artifact {
    requireId(id, 'artifact id');
    return this.ctx.run(() => {
      const row = this.ctx
        .statement(`SELECT ${SUMMARY_COLUMNS}, data FROM artifacts WHERE id = ?`)
        .get(id) as (ArtifactRow & Pick<Row<'artifacts'>, 'data'>) | undefined;
      if (row === undefined) throw notFound(this.ctx, 'artifact', id);
      const { byteLength: _byteLength, ...summary } = this.toSummary(row);
      const data =
        row.data === null ? null : new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength);
      return { ...summary, data };
    });
  }

  /** One artifact without its data. */
  summary(id: number): ArtifactSummary {
    requireId(id, 'artifact id');
    return this.ctx.run(() => {
      const row = this.ctx.statement(`SELECT ${SUMMARY_COLUMNS} FROM artifacts WHERE id = ?`).get(id) as
        ArtifactRow | undefined;
      if (row === undefined) throw notFound(this.ctx, 'artifact', id);
      return this.toSummary(row);
    });
  }

  /** Artifacts without their data: all of them, or one experiment's (null: those of no experiment). */
  list(experimentId?: number | null): ArtifactSummary[] {
    return this.ctx.run(() => {
      let rows: unknown[];
      if (experimentId === undefined) {
        rows = this.ctx.statement(`SELECT ${SUMMARY_COLUMNS} FROM artifacts ORDER BY id`).all();
      } else if (experimentId === null) {
        rows = this.ctx
          .statement(`SELECT ${SUMMARY_COLUMNS} FROM artifacts WHERE experiment_id IS NULL ORDER BY id`)
          .all();
      } else {
        requireId(experimentId, 'experiment id');
        rows = this.ctx
          .statement(`SELECT ${SUMMARY_COLUMNS} FROM artifacts WHERE experiment_id = ? ORDER BY id`)
          .all(experimentId);
      }
      return (rows as ArtifactRow[]).map((row) => this.toSummary(row));
    });
  }

  private toSummary(row: ArtifactRow): ArtifactSummary {
    const where = `artifact ${row.id}`;
    return {
      id: row.id,
      experimentId: row.experiment_id,
      kind: row.kind,
      schemaVersion: row.schema_version,
      name: row.name,
      recipe: parseJsonColumn(this.ctx, row.recipe, `recipe of ${where}`),
      manifest:
        row.manifest === null ? null : parseJsonColumn(this.ctx, row.manifest, `manifest of ${where}`),
      byteLength: row.byte_length,
      createdAt: row.created_at,
    };
  }
}
