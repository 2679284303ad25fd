import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeltascopeError, type CallResult } from '@shared';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import { useRelevanceStore } from '../../../../src-renderer/stores/relevance';
import { FakeTransport } from '../fake-transport';

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

let transport: FakeTransport;
/** Ends the held weights.aggregate call with CANCELLED (as the main side does after diff.cancel). */
let endAggregate: (() => void) | null = null;

beforeEach(() => {
  setActivePinia(createPinia());
  endAggregate = null;
  transport = new FakeTransport().handle('diff.cancel', () => ({ cancelled: true }));
  const original = transport.call.bind(transport);
  transport.call = (method, params) => {
    if (method !== 'weights.aggregate') return original(method, params);
    transport.calls.push({ method, params });
    const error = new DeltascopeError('CANCELLED', 'Aggregate mean of 2 deltas over #1 was cancelled.');
    return new Promise<CallResult>((resolve) => {
      endAggregate = () => resolve({ ok: false, error: error.toPayload() });
    });
  };
  provideApi(createApiClient(transport));
});

function progress(jobId: string, done: number) {
  return {
    jobId,
    label: 'aggregate',
    done,
    total: 4,
    unit: 'tensors',
    ratePerSecond: 2,
    etaSeconds: 1,
    latest: {},
  };
}

describe('relevance store: a large aggregation', () => {
  it('follows its own job.progress, stops through diff.cancel, and reports the cancellation', async () => {
    const relevance = useRelevanceStore();
    relevance.listen();
    const running = relevance.aggregate({ base: 1, deltas: [2, 3], aggregator: { kind: 'mean' } });
    await settle();
    const call = transport.calls.find((c) => c.method === 'weights.aggregate');
    const jobId = (call?.params as { jobId?: string } | undefined)?.jobId ?? '';
    expect(jobId).toMatch(/^aggregate-/);
    expect(relevance.aggregating).toBe(true);

    transport.emit('job.progress', progress('someone-else', 3));
    expect(relevance.aggregateProgress).toBeNull();
    transport.emit('job.progress', progress(jobId, 1));
    expect(relevance.aggregateProgress).toEqual({ done: 1, total: 4, unit: 'tensors', etaSeconds: 1 });

    await relevance.cancelAggregate();
    expect(transport.calls.filter((c) => c.method === 'diff.cancel').map((c) => c.params)).toEqual([
      { jobId },
    ]);
    endAggregate?.();
    expect(await running).toBe(false);
    expect(relevance.aggregating).toBe(false);
    expect(relevance.aggregateProgress).toBeNull();
    expect(relevance.aggregateError).toMatch(/cancelled/);
    // Nothing runs any more: a second stop sends nothing.
    await relevance.cancelAggregate();
    expect(transport.calls.filter((c) => c.method === 'diff.cancel')).toHaveLength(1);
  });
});

describe('relevance store: "Save as a safetensors folder"', () => {
  const written = {
    folder: '/models/ties-merged',
    files: ['/models/ties-merged/model-00001-of-00001.safetensors'],
    bytes: 2048,
    tensorCount: 3,
    paramCount: 76,
    merged: true,
  };

  it('calls weights.aggregateToFolder with a job id, follows its progress in parameters, keeps what it wrote', async () => {
    let finish: (() => void) | null = null;
    const original = transport.call.bind(transport);
    transport.call = (method, params) => {
      if (method !== 'weights.aggregateToFolder') return original(method, params);
      transport.calls.push({ method, params });
      return new Promise<CallResult>((resolve) => {
        finish = () => resolve({ ok: true, result: written });
      });
    };
    const relevance = useRelevanceStore();
    relevance.listen();
    const request = {
      base: 1,
      deltas: [2, 3],
      aggregator: { kind: 'ties' as const, density: 0.2 },
      folder: written.folder,
      merge: true,
    };
    const running = relevance.aggregateToFolder(request);
    await settle();
    const params = transport.calls.find((c) => c.method === 'weights.aggregateToFolder')?.params as {
      jobId: string;
    };
    expect(params).toMatchObject({ ...request, jobId: expect.stringMatching(/^aggregate-/) });
    transport.emit('job.progress', { ...progress(params.jobId, 40), total: 76, unit: 'parameters' });
    expect(relevance.aggregateProgress).toEqual({ done: 40, total: 76, unit: 'parameters', etaSeconds: 1 });
    finish!();
    expect(await running).toBe(true);
    expect(relevance.writtenFolder).toEqual(written);
    expect(relevance.aggregateProgress).toBeNull();
  });

  it('shows the refusal of a folder that is not empty, and no written folder', async () => {
    const message =
      '/models/x already exists and is not empty (1 entry: notes.txt); choose a new or empty folder, nothing was written.';
    transport.handle('weights.aggregateToFolder', () => {
      throw new DeltascopeError('FILE_EXISTS', message);
    });
    const relevance = useRelevanceStore();
    const ok = await relevance.aggregateToFolder({
      base: 1,
      deltas: [2],
      aggregator: { kind: 'mean' },
      folder: '/models/x',
    });
    expect(ok).toBe(false);
    expect(relevance.aggregateError).toContain('/models/x already exists and is not empty');
    expect(relevance.writtenFolder).toBeNull();
  });
});
