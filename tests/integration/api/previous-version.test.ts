import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARTIFACT_SCHEMA_VERSION,
  decodeArtifact,
  isArtifactKind,
  type ProtocolReport,
} from '../../../src-main/shared';
import {
  decodeFloat32Base64,
  isUnreadable,
  type RelevanceMapSummary,
} from '../../../src-main/shared/contract-weights';
import { LATEST_SCHEMA_VERSION, openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import { weightsService } from './weights-test-helpers';

/**
 * A database written by the previous version (store schema 1, artifacts without schema versions,
 * relevance maps in two recipe shapes: see tests/fixtures/previous-version/README.md) opens after
 * migration 002 with every artifact readable.
 */

const FIXTURE = join(__dirname, '../../fixtures/previous-version/v1-tiny-5x5.deltascope');
const temp = makeTempDir('previous-version');
let path: string;
let api: ReturnType<typeof weightsService>;

beforeAll(() => {
  path = join(temp.dir, 'v1-tiny-5x5.deltascope');
  copyFileSync(FIXTURE, path);
  api = weightsService(temp.dir, path);
});
afterAll(() => {
  api.service.dispose();
  temp.cleanup();
});

describe('a database of the previous version, after migration', () => {
  it('is at the latest schema, with every artifact stamped with the current artifact schema version', () => {
    const db = openDatabase(path);
    try {
      expect(db.info(false).schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      const artifacts = db.artifacts.list();
      expect(artifacts).toHaveLength(103);
      expect(new Set(artifacts.map((a) => a.schemaVersion))).toEqual(new Set([ARTIFACT_SCHEMA_VERSION]));
    } finally {
      db.close();
    }
  });

  it('decodes every artifact of every kind', () => {
    const db = openDatabase(path);
    try {
      const counts: Record<string, number> = {};
      for (const summary of db.artifacts.list()) {
        const kind = summary.kind;
        if (!isArtifactKind(kind)) throw new Error(`unknown kind ${kind}`);
        expect(
          () => decodeArtifact(kind, db.artifacts.get(summary.id)),
          `artifact ${summary.id}`,
        ).not.toThrow();
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      expect(counts).toEqual({
        evaluation: 29,
        'protocol-graph': 1,
        'protocol-negation': 1,
        'protocol-node': 61,
        'protocol-superposition': 1,
        'protocol-update-signals': 1,
        'relevance-map': 9,
      });
    } finally {
      db.close();
    }
  });

  it('lists all nine relevance maps (seven of the protocol, two of the Aggregate dialog) in one recipe shape', async () => {
    const list = await api.call('weights.relevanceMaps', {});
    expect(list.filter(isUnreadable)).toEqual([]);
    const maps = list as RelevanceMapSummary[];
    expect(maps.map((m) => m.name)).toEqual([
      'relevance map mean, seed 1',
      'relevance map median, seed 1',
      'relevance map sign-agreement, seed 1',
      'relevance map ties, seed 1',
      'relevance map dare, seed 1',
      'relevance map null-normalized, seed 1',
      'relevance map null-drift, seed 1',
      'UI map mean-abs',
      'UI map ties',
    ]);
    // Protocol maps now name their base (MA, checkpoint 5) like the dialog's, and their node.
    for (const map of maps) expect(map.recipe.base).toBe(5);
    expect(maps[0]!.recipe).toEqual({
      aggregator: 'mean',
      params: {},
      base: 5,
      inputs: [8, 14],
      protocol: { experimentId: 1, nodeId: 's1/analysis/superposition' },
    });
    expect(maps[6]!.recipe).toMatchObject({ aggregator: 'mean-abs', inputs: [26] });
    expect(maps[8]!.recipe).toEqual({
      aggregator: 'ties',
      params: { density: 0.2, lambda: 1, trim: 'per-tensor', nullInput: 26 },
      inputs: [8, 14],
      base: 5,
    });
    for (const map of maps) {
      expect(map.paramCount).toBe(2101);
      expect(map.tensors.map((t) => t.name)).toEqual([
        'torso.dense1.kernel',
        'torso.dense1.bias',
        'policy.kernel',
        'policy.bias',
        'value.kernel',
        'value.bias',
      ]);
      const shares = map.tensors.reduce((sum, t) => sum + t.massShare, 0);
      expect(shares).toBeCloseTo(1, 6);
    }
  });

  it('opens each map: its overview tiles and its summary agree with the stored values', async () => {
    const maps = (await api.call('weights.relevanceMaps', {})) as RelevanceMapSummary[];
    for (const map of maps) {
      const ref = { artifactId: map.artifactId };
      const overview = await api.call('diff.overview', { a: ref, b: ref, view: 'a' });
      expect(overview.tensors).toHaveLength(6);
      const bias = await api.call('diff.tile', { a: ref, b: ref, tensor: 'policy.bias', view: 'a' });
      const values = [...decodeFloat32Base64(bias.values)];
      const summary = map.tensors.find((t) => t.name === 'policy.bias')!;
      expect(Math.max(...values.map(Math.abs))).toBeCloseTo(summary.maxAbs, 6);
      expect(values.reduce((s, v) => s + v, 0) / values.length).toBeCloseTo(summary.mean, 6);
    }
  });

  it('builds the protocol report with every analysis it ran', async () => {
    const report = (await api.call('protocol.report', { experimentId: 1 })) as ProtocolReport;
    expect(report.progress).toMatchObject({ done: 61, total: 61, failed: 0, complete: true });
    const seed = report.seeds[0]!;
    expect(seed.updateSignals?.deltas.map((d) => d.label)).toEqual(['coin', 'gem', 'null-0']);
    expect(seed.negation?.rows).toHaveLength(12);
    expect(seed.superposition?.maps.map((m) => m.aggregator)).toEqual([
      'mean',
      'median',
      'sign-agreement',
      'ties',
      'dare',
      'null-normalized',
    ]);
    expect(seed.success.length).toBeGreaterThan(0);
    expect(report.statements.some((s) => s.topic === 'negation')).toBe(true);
    // No localization test in that spec: nothing pooled, and the verdict says it was not run.
    expect(report.pooledLocalization).toBeNull();
    expect(report.verdicts.find((v) => v.question === 'localization')).toMatchObject({ kind: 'not-run' });
  });

  it('lists its 29 evaluations and reads one whole', async () => {
    const list = await api.call('eval.list', {});
    expect(list).toHaveLength(29);
    const record = await api.call('eval.get', { evaluationId: list[0]!.id! });
    expect(record.result.perEpisode.length).toHaveLength(24);
  });
});
