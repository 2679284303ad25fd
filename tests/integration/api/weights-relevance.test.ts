import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFloat32Base64 } from '../../../src-main/shared/contract-weights';
import { openDatabase } from '../../../src-main/store';
import { makeTempDir } from '../../helpers/temp-dir';
import {
  baseTensors,
  DELTA,
  weightsService,
  writeWeightsDatabase,
  type WeightsFixture,
} from './weights-test-helpers';

const temp = makeTempDir('weights-relevance');
let fixture: WeightsFixture;
let api: ReturnType<typeof weightsService>;
/** mean(Δ_B, Δ_D) = mean(Δ, 2Δ) = 1.5·Δ, and mean-abs of the same = 1.5·|Δ|. */
let meanMap: number;
let absMap: number;
let evaluationArtifact: number;

/** The expected map of one tensor: `scale`·Δ (or |Δ|) at the fixture's known indices, 0 elsewhere. */
function expected(tensor: string, scale: number, abs = false): number[] {
  const size = baseTensors().find((t) => t.name === tensor)!.data.length;
  const out = new Array<number>(size).fill(0);
  for (const [index, value] of DELTA[tensor]!) out[index] = scale * (abs ? Math.abs(value) : value);
  return out;
}

beforeAll(async () => {
  fixture = writeWeightsDatabase(temp.dir);
  const db = openDatabase(fixture.path);
  try {
    evaluationArtifact = db.artifacts.put({
      experimentId: fixture.experimentId,
      kind: 'evaluation',
      schemaVersion: 2,
      name: 'not a map',
      recipe: {},
    }).id;
  } finally {
    db.close();
  }
  api = weightsService(temp.dir, fixture.path);
  const aggregate = (kind: 'mean' | 'mean-abs') =>
    api.call('weights.aggregate', { base: fixture.a, deltas: [fixture.b, fixture.d], aggregator: { kind } });
  meanMap = (await aggregate('mean')).artifactId;
  absMap = (await aggregate('mean-abs')).artifactId;
});
afterAll(() => {
  api.service.dispose();
  temp.cleanup();
});

describe('a relevance map as a diff side ({artifactId})', () => {
  it('draws the hand-computed mean of two deltas as the tile of view "a"', async () => {
    const map = { artifactId: meanMap };
    const tile = await api.call('diff.tile', { a: map, b: map, tensor: 'dense.kernel', view: 'a' });
    expect([tile.rows, tile.cols, tile.level]).toEqual([3, 4, 0]);
    expect([...decodeFloat32Base64(tile.values)]).toEqual(expected('dense.kernel', 1.5));
    expect(tile.scale.maxAbs).toBe(0.75);

    // A conv kernel keeps its mosaic layout: W[1,0,2,4] sits at cell (5, 8).
    const conv = await api.call('diff.cell', { a: map, b: map, tensor: 'conv.kernel', row: 5, col: 8 });
    expect(conv.index).toEqual([1, 0, 2, 4]);
    expect(conv.a).toBe(9);
  });

  it('gives a whole-model overview of the map, tensor by tensor', async () => {
    const map = { artifactId: absMap };
    const overview = await api.call('diff.overview', { a: map, b: map, view: 'a' });
    expect(overview.tensors.map((t) => t.name)).toEqual(['dense.kernel', 'dense.bias', 'conv.kernel']);
    const bias = overview.tensors[1]!;
    expect([...decodeFloat32Base64(bias.values)]).toEqual(expected('dense.bias', 1.5, true));
  });

  it('diffs two maps of the same model (mean-abs − mean)', async () => {
    const diff = await api.call('diff.compute', { a: { artifactId: meanMap }, b: { artifactId: absMap } });
    expect(diff.a.label).toBe(`relevance map ${meanMap}`);
    expect(diff.a.source).toBe('relevance-map');
    expect(diff.a.checkpoint).toBeNull();
    // Only where Δ < 0 do the maps differ: 1.5·(|Δ| − Δ) = 3·|Δ| at −0.25 (dense) and −1 (bias).
    expect(diff.model.maxAbs).toBe(3);
    expect(diff.model.aboveEpsilon).toBe(2);
    const tile = await api.call('diff.tile', {
      a: { artifactId: meanMap },
      b: { artifactId: absMap },
      tensor: 'dense.bias',
    });
    expect([...decodeFloat32Base64(tile.values)]).toEqual([0, 3, 0, 0]);
  });

  it('diffs a map against a checkpoint of the same shapes', async () => {
    const diff = await api.call('diff.compute', {
      a: { checkpointId: fixture.a },
      b: { artifactId: meanMap },
    });
    expect(diff.tensors).toHaveLength(3);
    expect(diff.b.paramCount).toBe(76);
  });

  it('names an unknown artifact id', async () => {
    const error = await api.fail('diff.tile', {
      a: { artifactId: 999 },
      b: { artifactId: 999 },
      tensor: 'dense.kernel',
      view: 'a',
    });
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('artifact 999');
  });

  it('refuses an artifact that is not a relevance map, naming its kind', async () => {
    const ref = { artifactId: evaluationArtifact };
    const error = await api.fail('diff.overview', { a: ref, b: ref, view: 'a' });
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.message).toContain(`artifact ${evaluationArtifact} is a 'evaluation', not a relevance map`);
  });
});
