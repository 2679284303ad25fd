import type { Migration } from './migration';

/**
 * Checkpoints imported by reference (`deltascope import --reference`): the weights stay in the user's
 * .safetensors file or Hugging Face folder; the checkpoint row keeps the manifest and this table
 * keeps where the files are (`path`, as given at import, absolute) and their fingerprint (JSON:
 * `{ blockBytes, files: [{ name, size, mtimeMs, sha256, blocks: [sha256 per block] }] }`, see
 * weights/formats/file-fingerprint.ts). Such a checkpoint has no `checkpoint_chunks` rows. Existing
 * checkpoints are unchanged: every one of them is stored.
 */
export const migration004: Migration = {
  version: 4,
  name: 'referenced-checkpoints',
  sql: `
CREATE TABLE checkpoint_references (
  checkpoint_id INTEGER PRIMARY KEY REFERENCES checkpoints(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  fingerprint   TEXT NOT NULL CHECK (json_valid(fingerprint))
);
`,
};
