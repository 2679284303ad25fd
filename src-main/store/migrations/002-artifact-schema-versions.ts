import type Database from 'better-sqlite3';
import { upgradeArtifactV1 } from './artifact-v1-upgrade';
import type { Migration } from './migration';

/**
 * Artifacts carry the version of their shape (shared/artifact-schemas.ts). Rows written before are
 * version 1; `upgrade` rewrites the kinds whose shape changed (artifact-v1-upgrade.ts) and stamps
 * every row of a known kind version 2. Rows of kinds this version does not know stay version 1.
 */

const V2_KINDS = [
  'evaluation',
  'relevance-map',
  'trainable-mask',
  'protocol-graph',
  'protocol-node',
  'protocol-update-signals',
  'protocol-negation',
  'protocol-superposition',
  'protocol-known-answer',
  'protocol-localization',
];

interface Row {
  id: number;
  kind: string;
  recipe: string;
  manifest: string | null;
}

function parse(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The checkpoint a protocol superposition node took its deltas from (its stored `base`), or null. */
function superpositionBases(db: Database.Database): (experimentId: number, nodeId: string) => number | null {
  const rows = db
    .prepare(
      "SELECT experiment_id, json_extract(recipe, '$.nodeId') AS node_id, data FROM artifacts WHERE kind = 'protocol-superposition'",
    )
    .all() as { experiment_id: number | null; node_id: unknown; data: Buffer | null }[];
  const bases = new Map<string, number>();
  for (const row of rows) {
    if (row.data === null || typeof row.node_id !== 'string') continue;
    const base = (parse(row.data.toString('utf8')) as { base?: { checkpointId?: unknown } } | null)?.base
      ?.checkpointId;
    if (typeof base === 'number') bases.set(`${row.experiment_id}/${row.node_id}`, base);
  }
  return (experimentId, nodeId) => bases.get(`${experimentId}/${nodeId}`) ?? null;
}

function upgrade(db: Database.Database): void {
  const baseOf = superpositionBases(db);
  const readData = db.prepare('SELECT data FROM artifacts WHERE id = ?');
  const write = db.prepare('UPDATE artifacts SET recipe = ?, manifest = ?, schema_version = 2 WHERE id = ?');
  const rows = db
    .prepare(
      `SELECT id, kind, recipe, manifest FROM artifacts WHERE kind IN (${V2_KINDS.map(() => '?').join(', ')})`,
    )
    .all(...V2_KINDS) as Row[];
  for (const row of rows) {
    const next = upgradeArtifactV1(
      { id: row.id, kind: row.kind, recipe: parse(row.recipe), manifest: parse(row.manifest) },
      () => {
        const data = (readData.get(row.id) as { data: Buffer | null }).data;
        return data === null ? null : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      },
      baseOf,
    );
    write.run(
      JSON.stringify(next.recipe),
      next.manifest === null ? null : JSON.stringify(next.manifest),
      row.id,
    );
  }
}

export const migration002: Migration = {
  version: 2,
  name: 'artifact-schema-versions',
  // Rebuilt rather than ALTERed so that the BLOB stays the last column (reading schema_version must
  // not walk the data's overflow pages).
  sql: `
CREATE TABLE artifacts_v2 (
  id             INTEGER PRIMARY KEY,
  experiment_id  INTEGER REFERENCES experiments(id) ON DELETE CASCADE,
  kind           TEXT NOT NULL,
  schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
  name           TEXT NOT NULL,
  recipe         TEXT NOT NULL CHECK (json_valid(recipe)),
  manifest       TEXT CHECK (manifest IS NULL OR json_valid(manifest)),
  created_at     TEXT NOT NULL,
  data           BLOB
);
INSERT INTO artifacts_v2 (id, experiment_id, kind, schema_version, name, recipe, manifest, created_at, data)
  SELECT id, experiment_id, kind, 1, name, recipe, manifest, created_at, data FROM artifacts;
DROP TABLE artifacts;
ALTER TABLE artifacts_v2 RENAME TO artifacts;
CREATE INDEX artifacts_experiment ON artifacts(experiment_id, kind);
`,
  upgrade,
};
