import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeltascopeError } from '@shared';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import { useDiffStore } from '../../../../src-renderer/stores/diff';
import { useNavigationStore } from '../../../../src-renderer/stores/navigation';
import { useNoticesStore } from '../../../../src-renderer/stores/notices';
import { FakeTransport } from '../fake-transport';
import { base64, sampleDiff, tile } from '../diff-fixtures';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

let transport: FakeTransport;

beforeEach(() => {
  setActivePinia(createPinia());
  transport = new FakeTransport().handle('diff.compute', () => sampleDiff());
  provideApi(createApiClient(transport));
});

const computeCalls = () => transport.calls.filter((c) => c.method === 'diff.compute');

describe('diff store', () => {
  it('opens a diff in the Diff view with the tensors sorted by ‖Δ‖₂', async () => {
    const diff = useDiffStore();
    await diff.open({ checkpointId: 100 }, { checkpointId: 101 });
    expect(useNavigationStore().view).toBe('diff');
    expect(diff.state).toBe('ready');
    expect(computeCalls()[0]?.params).toMatchObject({
      a: { checkpointId: 100 },
      b: { checkpointId: 101 },
      epsilon: 1e-6,
      partial: false,
    });
    expect(diff.sortedTensors.map((t) => t.name)).toEqual(['torso.kernel', 'torso.bias', 'head.kernel']);
    diff.sortBy('l2');
    expect(diff.sortedTensors[0]?.name).toBe('head.kernel');
    diff.sortBy('name');
    expect(diff.sortedTensors.map((t) => t.name)).toEqual(['head.kernel', 'torso.bias', 'torso.kernel']);
  });

  it('does not diff a checkpoint with itself', async () => {
    const diff = useDiffStore();
    await diff.open({ checkpointId: 5 }, { checkpointId: 5 });
    expect(computeCalls()).toHaveLength(0);
    expect(diff.pair).toBeNull();
    expect(useNoticesStore().notices[0]?.message).toMatch(/same checkpoint twice/);
  });

  it('recomputes with a new ε, and swaps A and B', async () => {
    const diff = useDiffStore();
    await diff.open({ checkpointId: 100 }, { checkpointId: 101 });
    diff.setEpsilon(0.01);
    await settle();
    expect(computeCalls()[1]?.params).toMatchObject({ epsilon: 0.01 });
    diff.setEpsilon(-1);
    expect(computeCalls()).toHaveLength(2);
    await diff.swap();
    expect(computeCalls()[2]?.params).toMatchObject({ a: { checkpointId: 101 }, b: { checkpointId: 100 } });
  });

  it('keeps a shape mismatch readable and retries on the shared tensors when asked', async () => {
    transport.handle('diff.compute', (params) => {
      if ((params as { partial: boolean }).partial) return sampleDiff();
      throw new DeltascopeError(
        'SHAPE_MISMATCH',
        'checkpoint 12 has tensor `torso.dense1.kernel` of shape [484,256]; checkpoint 31 has [363,256]',
      );
    });
    const diff = useDiffStore();
    await diff.open({ checkpointId: 12 }, { checkpointId: 31 });
    expect(diff.state).toBe('error');
    expect(diff.error).toEqual({
      code: 'SHAPE_MISMATCH',
      message:
        'checkpoint 12 has tensor `torso.dense1.kernel` of shape [484,256]; checkpoint 31 has [363,256]',
    });
    expect(useNoticesStore().notices[0]?.code).toBe('SHAPE_MISMATCH');
    diff.diffSharedTensors();
    await settle();
    expect(diff.state).toBe('ready');
    expect(computeCalls()[1]?.params).toMatchObject({ partial: true });
  });

  it('follows the progress of its own large diff only', async () => {
    let finish: (() => void) | null = null;
    transport.handle('diff.compute', () => sampleDiff());
    const diff = useDiffStore();
    diff.listen();
    // Hold the reply back to see the progress while the diff runs.
    const original = transport.call.bind(transport);
    transport.call = (method, params) =>
      method === 'diff.compute'
        ? original(method, params).then((reply) => new Promise((resolve) => (finish = () => resolve(reply))))
        : original(method, params);
    const opening = diff.open({ checkpointId: 1 }, { checkpointId: 2 });
    await settle();
    const jobId = (computeCalls()[0]?.params as { jobId: string } | undefined)?.jobId;
    expect(jobId).toMatch(/^diff-/);
    transport.emit('job.progress', progress('someone-else', 5));
    expect(diff.progress).toBeNull();
    transport.emit('job.progress', progress(jobId ?? '', 3));
    expect(diff.progress).toEqual({ done: 3, total: 10, unit: 'tensors' });
    (finish as (() => void) | null)?.();
    await opening;
    expect(diff.progress).toBeNull();
  });

  it('forgets the diff when another database is opened', async () => {
    const diff = useDiffStore();
    diff.listen();
    await diff.open({ checkpointId: 100 }, { checkpointId: 101 });
    transport.emit('db.changed', { info: null, reason: 'closed' });
    expect(diff.pair).toBeNull();
    expect(diff.result).toBeNull();
    expect(useNavigationStore().view).toBe('runs');
  });
});

function progress(jobId: string, done: number) {
  return {
    jobId,
    label: 'diff',
    done,
    total: 10,
    unit: 'tensors',
    ratePerSecond: null,
    etaSeconds: null,
    latest: {},
  };
}

describe("the diff store's delta tiles (Compare's heatmaps)", () => {
  it('loads each Δ of one tensor against the base as a decoded tile on one shared scale', async () => {
    transport.handle('diff.tile', (params) => {
      const target = (params as { b: { checkpointId: number } }).b.checkpointId;
      return target === 101
        ? tile()
        : tile({ values: base64([0, 0, 0, 0, 0, 6]), scale: { limit: 5, percentile: 99, maxAbs: 6 } });
    });
    const outcome = await useDiffStore().loadDeltaTiles(
      { checkpointId: 100 },
      [{ checkpointId: 101 }, { checkpointId: 102 }],
      'k',
      95,
    );
    expect(transport.calls.map((c) => c.params)).toEqual([
      { a: { checkpointId: 100 }, b: { checkpointId: 101 }, tensor: 'k', view: 'delta', percentile: 95 },
      { a: { checkpointId: 100 }, b: { checkpointId: 102 }, tensor: 'k', view: 'delta', percentile: 95 },
    ]);
    expect(outcome.ok && outcome.limit).toBe(5);
    expect(outcome.ok && outcome.tiles.map((t) => Array.from(t.values))).toEqual([
      [1, -2, 0.5, 0, 3, -1],
      [0, 0, 0, 0, 0, 6],
    ]);
  });

  it("returns the main side's message when a delta tile cannot be read", async () => {
    transport.handle('diff.tile', () => {
      throw new DeltascopeError('NOT_FOUND', 'checkpoint 102 has no tensor `k`.');
    });
    const outcome = await useDiffStore().loadDeltaTiles(
      { checkpointId: 100 },
      [{ checkpointId: 102 }],
      'k',
      99,
    );
    expect(outcome).toEqual({ ok: false, message: 'checkpoint 102 has no tensor `k`.' });
  });
});
