import { describe, expect, it } from 'vitest';
import { baseTensors, shifted, useWeightsApi } from './weights-test-helpers';

const api = useWeightsApi('weights-arith');

function tensorsOf(checkpointId: number) {
  return api.service.database().checkpoints.readTensors(checkpointId);
}

/** Values as numbers, with −0 read as 0 (2·(−0) − (−0) is +0). */
const plain = (data: Float32Array) => Array.from(data, (v) => v + 0);

describe('weights.combine', () => {
  it('saves A + (B − A) as a derived checkpoint equal to B, with its provenance', async () => {
    const result = await api.call('weights.combine', {
      formula: 'A + (B - A)',
      bindings: { checkpoints: { A: api.fixture.a, B: api.fixture.b } },
    });
    expect(result.results).toHaveLength(1);
    const [{ checkpoint, terms, alpha }] = result.results as [(typeof result.results)[number]];
    expect(alpha).toBeNull();
    expect(terms).toEqual([
      { checkpointId: api.fixture.a, coefficient: 0 },
      { checkpointId: api.fixture.b, coefficient: 1 },
    ]);
    expect(checkpoint.label).toBe('A + (B - A)');
    expect(checkpoint.provenance).toMatchObject({
      kind: 'arithmetic',
      formula: 'A + (B - A)',
      inputs: [api.fixture.a, api.fixture.b],
    });
    const stored = api.service.database().checkpoints.get(api.fixture.b);
    expect(checkpoint.sha256).toBe(stored.sha256);

    const run = api.service.database().runs.get(result.runId);
    expect(run).toMatchObject({ name: 'derived', phase: 'derived', experimentId: api.fixture.experimentId });
    expect(run.reward.name).toBe('RA');
    expect(run.config).toEqual({ note: 'copied to derived runs' });
  });

  it('evaluates "2*#A - #B" on checkpoint ids and adds it to the same derived run', async () => {
    const result = await api.call('weights.combine', {
      formula: `2*#${api.fixture.a} - #${api.fixture.b}`,
      label: 'negated',
    });
    const saved = tensorsOf(result.results[0]!.checkpoint.id);
    // 2A − B = A − Δ
    expect([...saved.get('dense.bias')!.data]).toEqual([-1, 1, 0, 0]);
    const expected = shifted(-1).find((t) => t.name === 'conv.kernel')!.data;
    expect(plain(saved.get('conv.kernel')!.data)).toEqual(plain(expected));
    expect(result.results[0]!.checkpoint.label).toBe('negated');
    const run = api.service.database().runs.getNode(result.runId);
    expect(run.checkpoints.length).toBeGreaterThanOrEqual(2);
  });

  it('saves one checkpoint per alpha of a grid: A − α(B − A)', async () => {
    const result = await api.call('weights.combine', {
      formula: 'A - alpha*(B - A)',
      bindings: { checkpoints: { A: api.fixture.a, B: api.fixture.b } },
      alphaGrid: [0, 0.5, -1],
      runName: 'negation sweep',
    });
    expect(result.results.map((r) => r.alpha)).toEqual([0, 0.5, -1]);
    const [atZero, atHalf, atMinusOne] = result.results.map((r) => tensorsOf(r.checkpoint.id));
    const base = baseTensors();
    expect(atZero!.get('dense.kernel')!.data).toEqual(base[0]!.data);
    expect([...atHalf!.get('dense.bias')!.data]).toEqual([-0.5, 0.5, 0, 0]);
    expect(atMinusOne!.get('conv.kernel')!.data).toEqual(shifted(1)[2]!.data);
    expect(result.results[1]!.checkpoint.label).toBe('A - alpha*(B - A) [alpha=0.5]');
    expect(api.service.database().runs.get(result.runId).name).toBe('negation sweep');
  });

  it('refuses a non-linear formula with its column, and mismatched checkpoints, writing nothing', async () => {
    const before = api.service.database().info(false).counts;
    const nonLinear = await api.fail('weights.combine', { formula: `#${api.fixture.a} * #${api.fixture.b}` });
    expect(nonLinear.code).toBe('INVALID_SPEC');
    expect(nonLinear.message).toMatch(/multiply two checkpoints/);
    const mismatch = await api.fail('weights.combine', { formula: `#${api.fixture.a} - #${api.fixture.c}` });
    expect(mismatch.code).toBe('SHAPE_MISMATCH');
    expect(mismatch.message).toContain('`head.bias`');
    expect(api.service.database().info(false).counts).toEqual(before);
  });
});

describe('weights.randomDirection', () => {
  it('saves A + r with ‖r_t‖ = ‖Δ_t‖ per tensor, reproducibly from its seed', async () => {
    const first = await api.call('weights.randomDirection', { a: api.fixture.a, b: api.fixture.b, seed: 7 });
    const again = await api.call('weights.randomDirection', { a: api.fixture.a, b: api.fixture.b, seed: 7 });
    expect(first.checkpoint.sha256).toBe(again.checkpoint.sha256);
    const diff = await api.call('diff.compute', {
      a: { checkpointId: api.fixture.a },
      b: { checkpointId: first.checkpoint.id },
    });
    const norms = Object.fromEntries(diff.tensors.map((t) => [t.name, t.stats.l2]));
    expect(norms['dense.kernel']).toBeCloseTo(Math.sqrt(0.3125), 5);
    expect(norms['dense.bias']).toBeCloseTo(Math.sqrt(2), 5);
    expect(norms['conv.kernel']).toBeCloseTo(6, 5);
    // A random direction is not Δ itself: it moves more than the two entries Δ moved.
    expect(diff.tensors[2]!.stats.aboveEpsilon).toBeGreaterThan(1);
    expect(first.checkpoint.provenance.details).toMatchObject({ seed: 7, control: 'random-direction' });
  });
});

describe('weights.aggregate', () => {
  it('stores the mean of the deltas as a relevance-map artifact with per-tensor mass shares', async () => {
    const map = await api.call('weights.aggregate', {
      base: api.fixture.a,
      deltas: [api.fixture.b, api.fixture.d],
      aggregator: { kind: 'mean' },
    });
    expect(map.recipe).toMatchObject({
      aggregator: 'mean',
      base: api.fixture.a,
      inputs: [api.fixture.b, api.fixture.d],
    });
    // mean(Δ, 2Δ) = 1.5Δ: Σ|m| = 1.5·(0.75 + 2 + 6)
    const share = Object.fromEntries(map.tensors.map((t) => [t.name, t.massShare]));
    expect(share['conv.kernel']).toBeCloseTo(6 / 8.75, 6);
    expect(map.tensors.find((t) => t.name === 'conv.kernel')!.maxAbs).toBe(9);
    expect(map.experimentId).toBe(api.fixture.experimentId);
    const artifact = api.service.database().artifacts.get(map.artifactId);
    expect(artifact.kind).toBe('relevance-map');
    expect(artifact.data?.byteLength).toBe(76 * 4);
    const listed = await api.call('weights.relevanceMaps', {});
    expect(listed.map((m) => m.artifactId)).toContain(map.artifactId);
  });

  it('asks for the null delta that null-normalized needs', async () => {
    const error = await api.fail('weights.aggregate', {
      base: api.fixture.a,
      deltas: [api.fixture.b],
      aggregator: { kind: 'null-normalized' },
    });
    expect(error.code).toBe('INVALID_SPEC');
    expect(error.message).toMatch(/nullDelta/);
  });
});
