import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import type { DatabaseInfo, ProtocolStatus, RewardSimilarityResult } from '@shared';
import { useDatabaseStore } from '../../../../src-renderer/stores/database';
import { useNavigationStore } from '../../../../src-renderer/stores/navigation';
import { SIMILARITY_DEBOUNCE_MS, useProtocolStore } from '../../../../src-renderer/stores/protocol';
import { FakeTransport } from '../fake-transport';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

const info: DatabaseInfo = {
  path: '/data/default.deltascope',
  fileName: 'default.deltascope',
  schemaVersion: 1,
  sizeBytes: 4096,
  isDefault: true,
  counts: { experiments: 0, runs: 0, checkpoints: 0, metrics: 0, artifacts: 0 },
};

function status(done: number): ProtocolStatus {
  return {
    experimentId: 7,
    name: 'demo',
    jobId: 'protocol-7',
    state: 'running',
    done,
    total: 10,
    failed: 0,
    blocked: 0,
    running: 1,
    etaSeconds: 30,
    nodes: [],
  };
}

const similarity: RewardSimilarityResult = {
  names: ['RA', 'coin'],
  pearson: [
    [1, 0.1],
    [0.1, 1],
  ],
  epic: [
    [0, 0.6],
    [0.6, 0],
  ],
  samples: 5000,
  warnings: [],
  threshold: 0.3,
};

let transport: FakeTransport;
let done = 3;

beforeEach(() => {
  setActivePinia(createPinia());
  done = 3;
  transport = new FakeTransport()
    .handle('rewards.similarity', () => similarity)
    .handle('protocol.validate', () => ({ ok: false, errors: [{ path: 'name', message: 'bad' }] }))
    .handle('protocol.presets', () => [
      { id: 'demo', file: 'demo.json', name: 'demo', spec: { name: 'demo' }, errors: null },
    ])
    .handle('protocol.start', () => ({ experimentId: 7, jobId: 'protocol-7' }))
    .handle('protocol.status', () => status(done))
    .handle('protocol.list', () => [])
    .handle('db.openDefault', () => info)
    .handle('db.recent', () => [])
    .handle('runs.tree', () => []);
  provideApi(createApiClient(transport));
});

afterEach(() => {
  vi.useRealTimers();
});

describe('protocol store', () => {
  it('asks for the reward similarity once after a burst of edits', async () => {
    vi.useFakeTimers();
    const protocol = useProtocolStore();
    protocol.setDraft({
      ra: { name: 'RA', collect: { cheese: 1 } },
      rbs: [{ name: 'coin', collect: { coin: 1 } }],
    });
    await nextTick();
    protocol.setDraft({ ...protocol.draft, name: 'a' });
    await nextTick();
    protocol.setDraft({ ...protocol.draft, name: 'ab' });
    await nextTick();
    expect(transport.calls.filter((c) => c.method === 'rewards.similarity')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(SIMILARITY_DEBOUNCE_MS + 1000);
    const calls = transport.calls.filter((c) => c.method === 'rewards.similarity');
    expect(calls).toHaveLength(1);
    expect((calls[0]?.params as { rewards: { name: string }[] }).rewards.map((r) => r.name)).toEqual([
      'RA',
      'coin',
    ]);
    expect(protocol.similarity?.epic[0]?.[1]).toBe(0.6);
    expect(protocol.validation).toEqual({ ok: false, errors: [{ path: 'name', message: 'bad' }] });
  });

  it('"Run the demo" opens the default database, launches the demo preset and follows it', async () => {
    const protocol = useProtocolStore();
    protocol.listen();
    const id = await protocol.runDemo();
    expect(id).toBe(7);
    expect(useDatabaseStore().info?.path).toBe(info.path);
    expect(useNavigationStore().view).toBe('protocol');
    expect(transport.calls.find((c) => c.method === 'protocol.start')?.params).toEqual({
      spec: { name: 'demo' },
    });
    expect(protocol.mode).toBe('experiment');
    await settle();
    expect(protocol.status?.done).toBe(3);
    // The database's own "opened" event does not forget the experiment just started.
    transport.emit('db.changed', { info, reason: 'opened' });
    expect(protocol.experimentId).toBe(7);

    // Progress of the experiment's job re-reads its nodes; other jobs are ignored.
    done = 4;
    transport.emit('job.progress', {
      jobId: 'protocol-7',
      label: 'demo',
      done: 4,
      total: 10,
      unit: 'nodes',
      ratePerSecond: null,
      etaSeconds: 12,
      latest: {},
    });
    await settle();
    expect(protocol.live).toEqual({ done: 4, total: 10, etaSeconds: 12 });
    expect(protocol.status?.done).toBe(4);
    const reads = transport.calls.filter((c) => c.method === 'protocol.status').length;
    transport.emit('job.progress', {
      jobId: 'job-9',
      label: 'x',
      done: 1,
      total: 2,
      unit: 'env steps',
      ratePerSecond: null,
      etaSeconds: null,
      latest: {},
    });
    await settle();
    expect(transport.calls.filter((c) => c.method === 'protocol.status')).toHaveLength(reads);
  });

  it('keeps following an experiment opened from the list while its retry writes to the database', async () => {
    const protocol = useProtocolStore();
    protocol.listen();
    protocol.follow(7);
    await settle();
    // The retry's node states are writes to the open database: the view stays on the experiment.
    transport.emit('db.changed', { info, reason: 'written' });
    expect(protocol.experimentId).toBe(7);
    expect(protocol.mode).toBe('experiment');
    // Another database opened: its experiments are not this one's.
    transport.emit('db.changed', { info: { ...info, path: '/data/other.deltascope' }, reason: 'opened' });
    expect(protocol.experimentId).toBeNull();
    expect(protocol.mode).toBe('design');
  });
});
