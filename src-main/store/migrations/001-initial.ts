import type { Migration } from './migration';

/**
 * The first schema. Large BLOB columns come last in their rows so that listing metadata never walks
 * a BLOB's overflow pages; `weights` precedes `optimizer_state` because it is read far more often.
 * Enumerations (phase, status) are validated in code, not with CHECK, so adding a value needs no
 * table rebuild.
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  spec        TEXT CHECK (spec IS NULL OR json_valid(spec)),
  created_at  TEXT NOT NULL
);

CREATE TABLE runs (
  id                   INTEGER PRIMARY KEY,
  experiment_id        INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  name                 TEXT NOT NULL,
  phase                TEXT NOT NULL,
  reward               TEXT NOT NULL CHECK (json_valid(reward)),
  seed                 INTEGER,
  status               TEXT NOT NULL,
  backend              TEXT,
  parent_checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
  config               TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  created_at           TEXT NOT NULL
);
CREATE INDEX runs_experiment ON runs(experiment_id);
CREATE INDEX runs_parent_checkpoint ON runs(parent_checkpoint_id);

CREATE TABLE checkpoints (
  id                   INTEGER PRIMARY KEY,
  run_id               INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step                 INTEGER NOT NULL CHECK (step >= 0),
  label                TEXT NOT NULL,
  parent_checkpoint_id INTEGER REFERENCES checkpoints(id) ON DELETE SET NULL,
  tensor_count         INTEGER NOT NULL,
  param_count          INTEGER NOT NULL,
  byte_length          INTEGER NOT NULL,
  sha256               TEXT NOT NULL,
  provenance           TEXT NOT NULL CHECK (json_valid(provenance)),
  manifest             TEXT NOT NULL CHECK (json_valid(manifest)),
  resume_state         TEXT CHECK (resume_state IS NULL OR json_valid(resume_state)),
  created_at           TEXT NOT NULL,
  weights              BLOB NOT NULL,
  optimizer_state      BLOB
);
CREATE INDEX checkpoints_run_step ON checkpoints(run_id, step);
CREATE INDEX checkpoints_parent ON checkpoints(parent_checkpoint_id);

-- NaN values are stored as NULL (SQLite has no NaN) and read back as NaN.
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  step   INTEGER NOT NULL,
  value  REAL,
  PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;

CREATE TABLE artifacts (
  id            INTEGER PRIMARY KEY,
  experiment_id INTEGER REFERENCES experiments(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL,
  name          TEXT NOT NULL,
  recipe        TEXT NOT NULL CHECK (json_valid(recipe)),
  manifest      TEXT CHECK (manifest IS NULL OR json_valid(manifest)),
  created_at    TEXT NOT NULL,
  data          BLOB
);
CREATE INDEX artifacts_experiment ON artifacts(experiment_id, kind);
`,
};
