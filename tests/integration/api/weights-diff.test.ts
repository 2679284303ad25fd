import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../src-main/shared';
import { decodeFloat32Base64 } from '../../../src-main/shared/contract-weights';
import { openDatabase, type DeltascopeDb } from '../../../src-main/store';
import { jobEvents, useWeightsApi, workerWeightsHandlers } from './weights-test-helpers';

const api = useWeightsApi('weights-diff');

// Δ = B − A: 0.5 and −0.25 in dense.kernel, 1 and −1 in dense.bias, 6 in conv.kernel; 76 elements.
const SUM_SQ = 0.25 + 0.0625 + 1 + 1 + 36;
const ref = (checkpointId: number) => ({ checkpointId });

describe('diff.compute', () => {
  it('returns exact per-tensor and whole-model statistics of a known delta', async () => {
    const diff = await api.call('diff.compute', { a: ref(api.fixture.a), b: ref(api.fixture.b) });
    expect(diff.a.label).toBe(`checkpoint ${api.fixture.a}`);
    expect(diff.b.checkpoint?.label).toBe('B');
    expect(diff.b.runName).toBe('base');
    expect(diff.tensors.map((t) => t.name)).toEqual(['dense.kernel', 'dense.bias', 'conv.kernel']);
    expect(diff.skipped).toEqual([]);
    expect(diff.jobId).toBeNull();

    const model = diff.model;
    expect(model.count).toBe(76);
    expect(model.l2).toBeCloseTo(Math.sqrt(SUM_SQ), 12);
    expect(model.maxAbs).toBe(6);
    expect(model.mean).toBeCloseTo(6.25 / 76, 12);
    expect(model.aboveEpsilon).toBe(5);
    expect(model.signFlips).toBe(1);
    expect(model.histogram.counts.reduce((s, c) => s + c, 0)).toBe(76);

    const [dense, bias, conv] = diff.tensors;
    expect(dense!.stats.l2).toBeCloseTo(Math.sqrt(0.3125), 12);
    // ‖A_dense‖² = Σ (k/8)², k = 0..11 = 506/64
    expect(dense!.stats.relativeL2).toBeCloseTo(Math.sqrt(0.3125) / Math.sqrt(506 / 64), 12);
    expect(dense!.stats.maxAbs).toBe(0.5);
    expect(dense!.layout).toBe('matrix');
    expect(bias!.stats.relativeL2).toBeNull();
    expect(bias!.stats.cosine).toBeNull();
    expect(bias!.layout).toBe('strip');
    expect(conv!.layout).toBe('conv-mosaic');
    expect([conv!.matrixRows, conv!.matrixCols]).toEqual([6, 10]);
    expect(conv!.shareOfChange).toBeCloseTo(36 / SUM_SQ, 12);
    expect(conv!.stats.signFlips).toBe(1);
  });

  it('counts |Δ| > epsilon with the epsilon asked for', async () => {
    const diff = await api.call('diff.compute', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      epsilon: 0.6,
    });
    expect(diff.model.aboveEpsilon).toBe(3);
    expect(diff.model.epsilon).toBe(0.6);
  });

  it('refuses checkpoints with different tensors, listing each mismatch', async () => {
    const error = await api.fail('diff.compute', { a: ref(api.fixture.a), b: ref(api.fixture.c) });
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toContain(
      `tensor \`dense.kernel\`: checkpoint ${api.fixture.a} has [3,4], checkpoint ${api.fixture.c} has [4,4]`,
    );
    expect(error.message).toContain(`\`dense.bias\` only in checkpoint ${api.fixture.a}`);
    expect(error.message).toContain(`\`head.bias\` only in checkpoint ${api.fixture.c}`);
    expect((error.details as { mismatches: unknown[] }).mismatches).toHaveLength(3);
  });

  it('diffs the shared tensors of a partial diff and lists the rest', async () => {
    const diff = await api.call('diff.compute', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.c),
      partial: true,
    });
    expect(diff.tensors.map((t) => t.name)).toEqual(['conv.kernel']);
    expect(diff.skipped.map((s) => s.name).sort()).toEqual(['dense.bias', 'dense.kernel', 'head.bias']);
    expect(diff.model.count).toBe(60);
  });

  it('diffs two model files without importing them', async () => {
    const fileA = join(api.dir, 'a.safetensors');
    const fileB = join(api.dir, 'b-model');
    await api.call('weights.export', { checkpointId: api.fixture.a, path: fileA });
    await api.call('weights.export', { checkpointId: api.fixture.b, path: fileB, format: 'tfjs' });
    const before = api.service.database().info(false).counts;
    const diff = await api.call('diff.compute', { a: { file: fileA }, b: { file: fileB } });
    expect(diff.a.label).toBe('a.safetensors');
    expect(diff.b.label).toBe('b-model/model.json');
    expect(diff.b.source).toBe('tfjs');
    expect(diff.model.l2).toBeCloseTo(Math.sqrt(SUM_SQ), 12);
    expect(api.service.database().info(false).counts).toEqual(before);
  });

  it('rejects an invalid request before any work, naming the field', async () => {
    const error = await api.fail('diff.compute', { a: ref(api.fixture.a), b: { checkpointId: -1 } });
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toMatch(/params\.b/);
    const bins = await api.fail('diff.compute', { a: ref(api.fixture.a), b: ref(api.fixture.b), bins: 10 });
    expect(bins.message).toMatch(/power of two/);
  });
});

describe('large diffs in a worker thread', () => {
  let db: DeltascopeDb;
  afterAll(() => db.close());

  it('give the same statistics as inline, with job.state and job.progress events', async () => {
    db = openDatabase(api.fixture.path);
    const events: WireEvent[] = [];
    const worker = workerWeightsHandlers(
      () => db,
      (event) => events.push(event),
    );
    const params = { a: ref(api.fixture.a), b: ref(api.fixture.b), epsilon: 1e-6, partial: false, bins: 64 };
    const inWorker = await worker['diff.compute']({ ...params, jobId: 'my-diff' });
    const inline = await api.call('diff.compute', params);
    expect(inWorker.jobId).toBe('my-diff');
    expect(inWorker.tensors).toEqual(inline.tensors);
    expect(inWorker.model).toEqual(inline.model);
    const { states, progress } = jobEvents(events);
    expect(states).toEqual(['running', 'done']);
    expect(progress.at(-1)).toMatchObject({ jobId: 'my-diff', done: 76, total: 76 });
    expect(await worker['diff.cancel']({ jobId: 'my-diff' })).toEqual({ cancelled: false });
  });
  it('stop on diff.cancel: the call fails with CANCELLED and the job ends "cancelled"', async () => {
    const states: string[] = [];
    const worker = workerWeightsHandlers(
      () => db,
      ({ event, payload }) => {
        if (event !== 'job.state') return;
        const { state, jobId } = payload as { state: string; jobId: string };
        states.push(state);
        // Cancel as soon as the worker is starting, long before it can finish.
        if (state === 'running') void worker['diff.cancel']({ jobId });
      },
    );
    const params = { a: ref(api.fixture.a), b: ref(api.fixture.b), epsilon: 1e-6, partial: false, bins: 64 };
    await expect(worker['diff.compute']({ ...params, jobId: 'to-cancel' })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(states).toEqual(['running', 'cancelled']);
  });
});

describe('heatmap tiles and hover read-outs', () => {
  it('lays a conv kernel out as a mosaic and keeps a single spike at every level', async () => {
    const full = await api.call('diff.tile', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'conv.kernel',
      level: 0,
    });
    expect(full).toMatchObject({
      layout: 'conv-mosaic',
      rows: 6,
      cols: 10,
      matrixRows: 6,
      matrixCols: 10,
      fitLevel: 0,
    });
    const values = decodeFloat32Base64(full.values);
    expect(values).toHaveLength(60);
    const spikes = [...values.entries()].filter(([, v]) => v !== 0);
    expect(spikes).toEqual([[5 * 10 + 8, 6]]);
    // 59 of 60 |Δ| are 0, so the 99th percentile (rank 60) is the spike itself.
    expect(full.scale).toMatchObject({ limit: 6, maxAbs: 6, percentile: 99 });

    const pooled = await api.call('diff.tile', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'conv.kernel',
      level: 1,
    });
    expect([pooled.rows, pooled.cols, pooled.factor]).toEqual([3, 5, 2]);
    expect(decodeFloat32Base64(pooled.values)[2 * 5 + 4]).toBe(6);
  });

  it('shows A itself with view "a", cut into tiles of the asked size', async () => {
    const tile = await api.call('diff.tile', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'dense.kernel',
      view: 'a',
      level: 0,
      tileSize: 8,
      tileRow: 0,
      tileCol: 0,
    });
    expect([tile.tilesDown, tile.tilesAcross, tile.rows, tile.cols]).toEqual([1, 1, 3, 4]);
    expect([...decodeFloat32Base64(tile.values)]).toEqual(Array.from({ length: 12 }, (_, k) => k / 8));
  });

  it('maps a mosaic cell back to the kernel index with A, B and Δ', async () => {
    const cell = await api.call('diff.cell', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'conv.kernel',
      row: 5,
      col: 8,
    });
    expect(cell).toEqual({
      tensor: 'conv.kernel',
      row: 5,
      col: 8,
      index: [1, 0, 2, 4],
      flatIndex: 44,
      a: -5.5,
      b: 0.5,
      delta: 6,
    });
    const dense = await api.call('diff.cell', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'dense.kernel',
      row: 1,
      col: 2,
    });
    expect(dense).toMatchObject({ index: [1, 2], flatIndex: 6, a: 0.75, b: 1.25, delta: 0.5 });
  });

  it('names the tensor or the cell that does not exist', async () => {
    const missing = await api.fail('diff.tile', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'nope',
    });
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(`checkpoint ${api.fixture.a} has no tensor \`nope\``);
    const outside = await api.fail('diff.cell', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      tensor: 'dense.kernel',
      row: 3,
      col: 0,
    });
    expect(outside.message).toContain('outside the 3×4 heatmap');
  });

  it('pools every tensor into a small overview tile', async () => {
    const overview = await api.call('diff.overview', {
      a: ref(api.fixture.a),
      b: ref(api.fixture.b),
      maxSize: 4,
    });
    expect(overview.tensors.map((t) => [t.name, t.rows, t.cols])).toEqual([
      ['dense.kernel', 3, 4],
      ['dense.bias', 1, 4],
      ['conv.kernel', 2, 3],
    ]);
    const conv = overview.tensors[2]!;
    expect(Math.max(...decodeFloat32Base64(conv.values))).toBe(6);
  });
});

describe('diff.compareMany', () => {
  it('finds deltas along the same direction fully aligned', async () => {
    const result = await api.call('diff.compareMany', {
      base: ref(api.fixture.a),
      others: [ref(api.fixture.b), ref(api.fixture.d)],
    });
    expect(result.model.norms[0]).toBeCloseTo(Math.sqrt(SUM_SQ), 12);
    expect(result.model.norms[1]).toBeCloseTo(2 * Math.sqrt(SUM_SQ), 12);
    expect(result.model.cosine[0]![1]).toBeCloseTo(1, 12);
    expect(result.tensors.map((t) => t.name)).toEqual(['dense.kernel', 'dense.bias', 'conv.kernel']);
    expect(result.others.map((o) => o.checkpoint?.label)).toEqual(['B', 'D']);
  });
});
