import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src-main/api';
import { createWeightsHandlers } from '../../../src-main/api/weights/weights-handlers';
import type { WireEvent } from '../../../src-main/shared';
import { openDatabase, type DeltascopeDb } from '../../../src-main/store';
import { jobEvents, useWeightsApi, workerWeightsHandlers } from './weights-test-helpers';

const api = useWeightsApi('weights-aggregate-worker');
let db: DeltascopeDb;

beforeAll(() => {
  db = openDatabase(api.fixture.path);
});
afterAll(() => db.close());

const workerHandlers = (onEvent: (event: WireEvent) => void) => workerWeightsHandlers(() => db, onEvent);

const relevanceMapCount = () => db.artifacts.list().filter((a) => a.kind === 'relevance-map').length;

describe('large aggregations in a worker thread', () => {
  it.each([
    { kind: 'median' as const, nullDelta: false },
    { kind: 'null-normalized' as const, nullDelta: true },
  ])(
    'store the same $kind map, bit for bit, as inline, with increasing progress',
    async ({ kind, nullDelta }) => {
      const events: WireEvent[] = [];
      const handlers = workerHandlers((event) => events.push(event));
      const params = {
        base: api.fixture.a,
        deltas: [api.fixture.b, api.fixture.d],
        aggregator: { kind },
        ...(nullDelta ? { nullDelta: api.fixture.b } : {}),
      };
      const jobId = `agg-${kind}`;
      const inWorker = await handlers['weights.aggregate']({ ...params, jobId });
      const inline = await api.call('weights.aggregate', params);

      expect(inWorker.tensors).toEqual(inline.tensors);
      expect(inWorker.recipe).toEqual(inline.recipe);
      const workerBytes = db.artifacts.get(inWorker.artifactId).data!;
      const inlineBytes = db.artifacts.get(inline.artifactId).data!;
      expect(workerBytes.byteLength).toBe(76 * 4);
      expect(Buffer.from(workerBytes).equals(Buffer.from(inlineBytes))).toBe(true);

      const { states, progress } = jobEvents(events);
      expect(states).toEqual(['running', 'done']);
      expect(progress.map((p) => p.done)).toEqual([1, 2, 3]);
      expect(progress.every((p) => p.jobId === jobId && p.total === 3 && p.unit === 'tensors')).toBe(true);
      expect(await handlers['diff.cancel']({ jobId })).toEqual({ cancelled: false });
    },
  );

  it('stop on diff.cancel: the call fails with CANCELLED and no map is stored', async () => {
    const states: string[] = [];
    const handlers = workerHandlers(({ event, payload }) => {
      if (event !== 'job.state') return;
      const { state, jobId } = payload as { state: string; jobId: string };
      states.push(state);
      // Cancel as soon as the worker is starting, long before it can finish.
      if (state === 'running') void handlers['diff.cancel']({ jobId });
    });
    const before = relevanceMapCount();
    await expect(
      handlers['weights.aggregate']({
        base: api.fixture.a,
        deltas: [api.fixture.b, api.fixture.d],
        aggregator: { kind: 'mean' },
        jobId: 'to-cancel',
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(states).toEqual(['running', 'cancelled']);
    expect(relevanceMapCount()).toBe(before);
  });

  it('stay inline below the threshold: no job events', async () => {
    const events: WireEvent[] = [];
    const bus = new EventBus();
    bus.subscribe((event) => events.push(event));
    const handlers = createWeightsHandlers({
      database: () => db,
      emit: (event, payload) => bus.emit(event, payload),
    });
    const map = await handlers['weights.aggregate']({
      base: api.fixture.a,
      deltas: [api.fixture.b],
      aggregator: { kind: 'mean' },
      jobId: 'small',
    });
    expect(map.paramCount).toBe(76);
    expect(events).toEqual([]);
  });
});
