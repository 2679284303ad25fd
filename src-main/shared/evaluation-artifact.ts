import {
  decodeArtifact,
  decodeArtifactHead,
  encodeArtifact,
  type EncodedArtifact,
  type StoredArtifactRow,
} from './artifact-codec';
import type { z } from 'zod';
import { EVALUATION_FORMAT, type EvaluationRecipeSchema } from './artifact-schemas';
import type { EvaluationRecord, EvaluationSummary } from './contract-evaluation';

/**
 * The "evaluation" artifact, written by eval.run and by the protocol's evaluate nodes alike:
 * recipe = the request with the resolved setup (enough to play the same episodes again), manifest =
 * the record without per-episode data (what eval.list shows without reading BLOBs), data = the record.
 */

/** The artifact of an evaluation record (its `id` is assigned by the store). */
export function evaluationArtifact(
  experimentId: number | null,
  record: EvaluationRecord,
  recipe: z.input<typeof EvaluationRecipeSchema>,
): EncodedArtifact {
  const { id: _id, ...stored } = record;
  const { perEpisode: _perEpisode, ...summaryResult } = record.result;
  return encodeArtifact(
    'evaluation',
    {
      experimentId,
      name: `eval ${record.checkpointLabel}: ${recipe.policy}, ${recipe.episodes} episodes, seed ${recipe.seed}`,
    },
    {
      recipe,
      manifest: {
        encoding: 'json-utf8',
        format: EVALUATION_FORMAT,
        summary: { ...stored, result: summaryResult },
      },
      data: stored,
    },
  );
}

/** The summary of a stored evaluation (no data read). */
export function evaluationSummaryOf(row: StoredArtifactRow): EvaluationSummary {
  return { ...decodeArtifactHead('evaluation', row).manifest.summary, id: row.id };
}

/** The whole record of a stored evaluation. */
export function evaluationRecordOf(row: StoredArtifactRow): EvaluationRecord {
  return { ...decodeArtifact('evaluation', row).data, id: row.id };
}
