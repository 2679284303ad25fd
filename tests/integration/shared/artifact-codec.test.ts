import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeReportBaseline } from '../../../src-main/api/protocol/protocol-report-baseline';
import { listRelevanceMaps } from '../../../src-main/api/weights/weights-aggregate';
import { trainableMaskArtifact } from '../../../src-main/jobs';
import {
  ARTIFACT_KINDS,
  decodeArtifact,
  DeltascopeError,
  encodeArtifact,
  KNOWN_ANSWER_FORMAT,
  type ArtifactKind,
} from '../../../src-main/shared';
import { isUnreadable } from '../../../src-main/shared/contract-weights';
import { buildJobGraph } from '../../../src-main/protocol';
import { ExperimentSpecSchema } from '../../../src-main/shared/experiment-spec';
import { openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { tinyExperiment } from '../jobs/protocol-test-helpers';
import { reportFixture } from '../../unit/protocol/report-fixture';
import { groundTruthFixture, spikeInFixture } from '../../unit/protocol/known-answer-checks-fixture';
import { GROUND_TRUTH_FORMAT, SPIKE_IN_FORMAT } from '../../../src-main/shared/known-answer-checks';

/**
 * One stored row of every artifact kind, each corrupted in one field: decoding it fails with
 * DATABASE_CORRUPT naming the artifact id, its kind and the failing path. Rows come from the
 * previous-version fixture (after migration) plus the kinds that database does not hold.
 */

const FIXTURE = join(__dirname, '../../fixtures/previous-version/v1-tiny-5x5.deltascope');
const temp = makeTempDir('artifact-codec');
let path: string;
const ids = new Map<ArtifactKind, number>();

/** A JSON edit of one column; `data` is JSON stored as a BLOB. */
interface Corruption {
  column: 'recipe' | 'manifest' | 'data';
  /** SQLite json_set/json_remove expression applied to the column's JSON text `x`. */
  edit: string;
  path: string;
}

const CORRUPTIONS: Record<ArtifactKind, Corruption> = {
  evaluation: {
    column: 'data',
    edit: "json_set(x, '$.result.episodes', 'many')",
    path: 'data.result.episodes',
  },
  'relevance-map': { column: 'recipe', edit: "json_remove(x, '$.base')", path: 'recipe.base' },
  'trainable-mask': {
    column: 'manifest',
    edit: "json_set(x, '$[0].dtype', 'int8')",
    path: 'manifest.0.dtype',
  },
  'protocol-graph': {
    column: 'data',
    edit: "json_set(x, '$.nodes[3].params.kind', 'bogus')",
    path: 'data.nodes.3.params.kind',
  },
  'protocol-node': { column: 'manifest', edit: "json_set(x, '$.status', 'maybe')", path: 'manifest.status' },
  'protocol-update-signals': {
    column: 'data',
    edit: "json_set(x, '$.cosine[0][1]', 'high')",
    path: 'data.cosine.0.1',
  },
  'protocol-negation': {
    column: 'data',
    edit: "json_set(x, '$.rows[2].alpha', 'half')",
    path: 'data.rows.2.alpha',
  },
  'protocol-superposition': {
    column: 'data',
    edit: "json_set(x, '$.maps[1].artifactId', -1)",
    path: 'data.maps.1.artifactId',
  },
  'protocol-known-answer': { column: 'data', edit: "json_set(x, '$.pass', 'yes')", path: 'data.pass' },
  'protocol-localization': {
    column: 'data',
    edit: "json_set(x, '$.rows[0].selection', 'middle')",
    path: 'data.rows.0.selection',
  },
  'protocol-spike-in': {
    column: 'data',
    edit: "json_set(x, '$.aggregators[0].precision[1]', 'high')",
    path: 'data.aggregators.0.precision.1',
  },
  'protocol-ground-truth': { column: 'recipe', edit: "json_remove(x, '$.seed')", path: 'recipe.seed' },
  'protocol-report-baseline': {
    column: 'data',
    edit: "json_set(x, '$.floor.rewards[0].success.low', 'low')",
    path: 'data.floor.rewards.0.success.low',
  },
};

beforeAll(() => {
  path = join(temp.dir, 'corrupt.deltascope');
  copyFileSync(FIXTURE, path);
  const db = openDatabase(path);
  try {
    for (const summary of db.artifacts.list()) {
      if (!ids.has(summary.kind as ArtifactKind)) ids.set(summary.kind as ArtifactKind, summary.id);
    }
    const seed = reportFixture().seeds[0]!;
    const analysisRecipe = (analysis: 'localization' | 'known-answer') => ({
      protocol: 1,
      nodeId: `s1/analysis/${analysis}`,
      analysis,
      deps: [] as string[],
    });
    ids.set(
      'trainable-mask',
      db.artifacts.put(
        trainableMaskArtifact(1, 'mask', [
          { name: 'policy.bias', shape: [4], data: new Float32Array([1, 0, 1, 0]) },
        ]),
      ).id,
    );
    ids.set(
      'protocol-localization',
      db.artifacts.put(
        encodeArtifact(
          'protocol-localization',
          { experimentId: 1, name: 'localization' },
          {
            recipe: analysisRecipe('localization'),
            manifest: { encoding: 'json-utf8', format: seed.localization!.format, summary: {} },
            data: seed.localization!,
          },
        ),
      ).id,
    );
    ids.set(
      'protocol-known-answer',
      db.artifacts.put(
        encodeArtifact(
          'protocol-known-answer',
          { experimentId: 1, name: 'known answer' },
          {
            recipe: analysisRecipe('known-answer'),
            manifest: { encoding: 'json-utf8', format: KNOWN_ANSWER_FORMAT, summary: {} },
            data: {
              format: KNOWN_ANSWER_FORMAT,
              seed: 1,
              plantedTensor: 'policy.bias',
              aggregators: [
                {
                  aggregator: 'mean',
                  topTensor: 'policy.bias',
                  plantedShare: 0.9,
                  plantedRank: 1,
                  pass: true,
                },
              ],
              pass: true,
            },
          },
        ),
      ).id,
    );
    const checkRecipe = { protocol: 1, seed: 1, method: 'protocol.knownAnswerChecks' as const };
    const jsonManifest = <F extends string>(format: F) => ({
      encoding: 'json-utf8' as const,
      format,
      summary: {},
    });
    ids.set(
      'protocol-spike-in',
      db.artifacts.put(
        encodeArtifact(
          'protocol-spike-in',
          { experimentId: 1, name: 'spike-in' },
          { recipe: checkRecipe, manifest: jsonManifest(SPIKE_IN_FORMAT), data: spikeInFixture() },
        ),
      ).id,
    );
    ids.set(
      'protocol-ground-truth',
      db.artifacts.put(
        encodeArtifact(
          'protocol-ground-truth',
          { experimentId: 1, name: 'ground truth' },
          { recipe: checkRecipe, manifest: jsonManifest(GROUND_TRUTH_FORMAT), data: groundTruthFixture() },
        ),
      ).id,
    );
    const spec = ExperimentSpecSchema.parse(tinyExperiment({ evalEpisodes: 8, bootstrapResamples: 100 }));
    const baseline = computeReportBaseline(spec, buildJobGraph(spec).evalRewards);
    ids.set(
      'protocol-report-baseline',
      db.artifacts.put(
        encodeArtifact(
          'protocol-report-baseline',
          { experimentId: 1, name: 'report baseline' },
          {
            recipe: { protocol: 1, similaritySamples: 5000, floorPolicy: 'uniform-random' },
            manifest: { encoding: 'json-utf8', format: baseline.format, summary: {} },
            data: baseline,
          },
        ),
      ).id,
    );
    // Every row reads before it is corrupted.
    for (const [kind, id] of ids) expect(() => decodeArtifact(kind, db.artifacts.get(id))).not.toThrow();
  } finally {
    db.close();
  }
  const raw = new Database(path);
  try {
    for (const [kind, id] of ids) {
      const { column, edit } = CORRUPTIONS[kind];
      const text = column === 'data' ? 'CAST(data AS TEXT)' : column;
      const expression = edit.replace('x', text);
      const sql =
        column === 'data'
          ? `UPDATE artifacts SET data = CAST(${expression} AS BLOB) WHERE id = ?`
          : `UPDATE artifacts SET ${column} = ${expression} WHERE id = ?`;
      expect(raw.prepare(sql).run(id).changes, kind).toBe(1);
    }
  } finally {
    raw.close();
  }
});
afterAll(() => temp.cleanup());

describe('decoding a corrupted artifact', () => {
  it('covers every kind', () => {
    expect([...ids.keys()].sort()).toEqual([...ARTIFACT_KINDS].sort());
  });

  it.each(ARTIFACT_KINDS)('%s: DATABASE_CORRUPT naming the id, the kind and the failing path', (kind) => {
    const db = openDatabase(path);
    try {
      const id = ids.get(kind)!;
      let caught: unknown;
      try {
        decodeArtifact(kind, db.artifacts.get(id));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DeltascopeError);
      const error = caught as DeltascopeError;
      const where = CORRUPTIONS[kind].path;
      expect(error.code).toBe('DATABASE_CORRUPT');
      expect(error.message).toContain(`Artifact ${id} (${kind}) cannot be read: ${where}:`);
      expect(error.details).toEqual({ artifactId: id, kind, path: where });
    } finally {
      db.close();
    }
  });

  it('lists the other relevance maps and marks the corrupted one with its id and reason', () => {
    const db = openDatabase(path);
    try {
      const list = listRelevanceMaps(db);
      expect(list).toHaveLength(9);
      const unreadable = list.filter(isUnreadable);
      const id = ids.get('relevance-map')!;
      expect(unreadable.map((entry) => entry.artifactId)).toEqual([id]);
      expect(unreadable[0]!.unreadable).toContain(
        `Artifact ${id} (relevance-map) cannot be read: recipe.base:`,
      );
    } finally {
      db.close();
    }
  });
});
