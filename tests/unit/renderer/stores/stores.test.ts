import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../../src-renderer/api/client';
import { provideApi } from '../../../../src-renderer/api/provider';
import { DeltascopeError, type DatabaseInfo, type MetricSeries } from '@shared';
import { useDatabaseStore } from '../../../../src-renderer/stores/database';
import { useNoticesStore } from '../../../../src-renderer/stores/notices';
import { useRunsStore } from '../../../../src-renderer/stores/runs';
import { FakeTransport } from '../fake-transport';
import { checkpoint, sampleTree } from '../sample-tree';

function dbInfo(path: string): DatabaseInfo {
  return {
    path,
    fileName: path.split('/').pop() ?? path,
    schemaVersion: 1,
    sizeBytes: 8192,
    isDefault: false,
    counts: { experiments: 2, runs: 2, checkpoints: 2, metrics: 6, artifacts: 0 },
  };
}

const series: MetricSeries[] = [
  { key: 'charts/episodic_return', steps: [0, 1, 2], values: [0, 1, 2], totalPoints: 3 },
  { key: 'losses/value_loss', steps: [0, 1, 2], values: [3, 2, 1], totalPoints: 3 },
];

/** Lets queued promise callbacks (fake replies, store follow-ups) run. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

let transport: FakeTransport;

beforeEach(() => {
  setActivePinia(createPinia());
  transport = new FakeTransport()
    .handle('db.current', () => dbInfo('/data/a.deltascope'))
    .handle('db.recent', () => [])
    .handle('runs.tree', () => sampleTree())
    .handle('metrics.keys', () => series.map((s) => s.key))
    .handle('metrics.series', () => series)
    .handle('checkpoints.get', (params) => {
      const id = (params as { checkpointId: number }).checkpointId;
      return { ...checkpoint(id, 10, 0), tensors: [] };
    })
    .handle('db.open', (params) => {
      const path = (params as { path: string }).path;
      if (path.endsWith('not-a-db.deltascope')) {
        throw new DeltascopeError(
          'NOT_A_DATABASE',
          `${path} is not a Deltascope database: it is not a SQLite file.`,
        );
      }
      return dbInfo(path);
    });
  provideApi(createApiClient(transport));
});

async function openSample(): Promise<void> {
  await useDatabaseStore().refresh();
  await settle();
}

describe('database store', () => {
  it('loads the open database and its experiment tree at start', async () => {
    await openSample();
    expect(useDatabaseStore().info?.path).toBe('/data/a.deltascope');
    expect(useRunsStore().tree.map((e) => e.name)).toEqual(['maze', 'empty']);
    expect(useRunsStore().expanded.has('e:1')).toBe(true);
  });

  it('keeps the previous database and tree when opening a bad file, and shows the message', async () => {
    await openSample();
    const outcome = await useDatabaseStore().open('/tmp/not-a-db.deltascope');
    expect(outcome).toEqual({
      ok: false,
      message: '/tmp/not-a-db.deltascope is not a Deltascope database: it is not a SQLite file.',
    });
    expect(useDatabaseStore().info?.path).toBe('/data/a.deltascope');
    expect(useRunsStore().tree).toHaveLength(2);
    const [notice] = useNoticesStore().notices;
    expect(notice).toMatchObject({ level: 'error', code: 'NOT_A_DATABASE' });
    expect(notice?.message).toContain('not-a-db.deltascope');
  });

  it('resets the run browser when another file is opened', async () => {
    await openSample();
    useRunsStore().select({ kind: 'run', id: 10 });
    await useDatabaseStore().open('/data/b.deltascope');
    await settle();
    expect(useDatabaseStore().info?.path).toBe('/data/b.deltascope');
    expect(useRunsStore().selection).toBeNull();
    expect(useRunsStore().tree).toHaveLength(2);
  });

  it('follows db.changed events: a close empties the browser', async () => {
    const database = useDatabaseStore();
    database.listen();
    await openSample();
    transport.emit('db.changed', { info: null, reason: 'closed' });
    expect(database.info).toBeNull();
    expect(useRunsStore().tree).toEqual([]);
  });
});

describe('runs store', () => {
  it('loads a selected run’s metrics without deep reactivity', async () => {
    await openSample();
    const runs = useRunsStore();
    runs.select({ kind: 'run', id: 10 });
    expect(runs.metricsState).toBe('loading');
    await settle();
    expect(runs.metricsState).toBe('ready');
    expect(runs.metricSeries.map((s) => s.key)).toEqual(series.map((s) => s.key));
    expect(runs.selectedRun?.run.name).toBe('run-10');
    const seriesCall = transport.calls.find((c) => c.method === 'metrics.series');
    expect(seriesCall?.params).toMatchObject({ runId: 10, keys: series.map((s) => s.key) });
  });

  it('selecting a checkpoint expands its run and loads its manifest', async () => {
    await openSample();
    const runs = useRunsStore();
    runs.select({ kind: 'checkpoint', id: 101 });
    expect(runs.expanded.has('r:10')).toBe(true);
    await settle();
    expect(runs.checkpoint?.id).toBe(101);
    expect(runs.selectedCheckpoint?.checkpoint.parentCheckpointId).toBe(100);
  });

  it('reports a selection that is not in the tree instead of selecting it', async () => {
    await openSample();
    const runs = useRunsStore();
    runs.select({ kind: 'checkpoint', id: 999 });
    expect(runs.selection).toBeNull();
    expect(useNoticesStore().notices[0]?.message).toContain('checkpoint with id 999');
  });

  it('refreshes the tree and the shown run’s metrics when the database is written', async () => {
    await openSample();
    const runs = useRunsStore();
    runs.listen();
    runs.select({ kind: 'run', id: 10 });
    await settle();
    const before = transport.calls.filter((c) => c.method === 'metrics.series').length;
    transport.emit('db.changed', { info: dbInfo('/data/a.deltascope'), reason: 'written' });
    await settle();
    await settle();
    expect(transport.calls.filter((c) => c.method === 'runs.tree')).toHaveLength(2);
    expect(transport.calls.filter((c) => c.method === 'metrics.series').length).toBe(before + 1);
    expect(runs.selection).toEqual({ kind: 'run', id: 10 });
  });

  it('shows a failed metrics read as an error notice with the main side’s message', async () => {
    transport.handle('metrics.keys', () => {
      throw new DeltascopeError('NOT_FOUND', 'run 10 does not exist in /data/a.deltascope.');
    });
    await openSample();
    const runs = useRunsStore();
    runs.select({ kind: 'run', id: 10 });
    await settle();
    expect(runs.metricsState).toBe('error');
    expect(useNoticesStore().notices[0]).toMatchObject({
      level: 'error',
      message: 'run 10 does not exist in /data/a.deltascope.',
      context: 'Reading the metrics of run 10',
    });
  });

  it('imports a model file as a checkpoint, says so with its NaN warning, and re-reads the tree', async () => {
    transport.handle('weights.import', (params) => {
      const path = (params as { path: string }).path;
      if (path.endsWith('broken.safetensors')) {
        throw new DeltascopeError(
          'INVALID_PAYLOAD',
          `${path}: the header length 9999 runs past the end of the file.`,
        );
      }
      return {
        checkpoint: checkpoint(77, 10, 0),
        runId: 10,
        experimentId: 1,
        format: 'safetensors',
        sourceDtypes: { k: 'F32' },
        nonFinite:
          (params as { reference?: boolean }).reference === true ? null : { total: 2, tensors: { k: 2 } },
        reference: (params as { reference?: boolean }).reference === true,
      };
    });
    const runs = useRunsStore();
    await expect(runs.importCheckpoint('/m/model.safetensors')).resolves.toEqual({
      ok: true,
      checkpointId: 77,
    });
    expect(useNoticesStore().notices.map((n) => n.message)).toEqual([
      'Imported /m/model.safetensors as checkpoint 77 (experiment "imported").',
      'Warning: /m/model.safetensors holds 2 NaN or ±Infinity values (in k); they were imported as they are.',
    ]);
    expect(transport.calls.filter((c) => c.method === 'runs.tree')).toHaveLength(1);
    await expect(runs.importCheckpoint('/m/broken.safetensors')).resolves.toEqual({
      ok: false,
      message: '/m/broken.safetensors: the header length 9999 runs past the end of the file.',
    });
  });

  it('imports a model folder by reference when asked, and says it was not copied', async () => {
    transport.handle('weights.import', (params) => ({
      checkpoint: checkpoint(78, 10, 0),
      runId: 10,
      experimentId: 1,
      format: 'safetensors',
      sourceDtypes: { k: 'BF16' },
      nonFinite: null,
      reference: (params as { reference?: boolean }).reference === true,
    }));
    const runs = useRunsStore();
    await expect(runs.importCheckpoint('/m/llama', { reference: true })).resolves.toEqual({
      ok: true,
      checkpointId: 78,
    });
    expect(transport.calls.find((c) => c.method === 'weights.import')?.params).toEqual({
      path: '/m/llama',
      reference: true,
    });
    expect(useNoticesStore().notices.map((n) => n.message)).toEqual([
      'Referenced /m/llama in place as checkpoint 78 (experiment "imported"; not copied: reading it is refused if the files change).',
    ]);
  });

  it('lists a folder for the file dialog, and reports a folder it cannot read', async () => {
    const listing = { dir: '/data', parent: '/', home: '/home/ada', entries: [] };
    transport.handle('fs.list', (params) => {
      const dir = (params as { dir?: string }).dir;
      if (dir === '/root') throw new DeltascopeError('NOT_FOUND', '/root cannot be read: permission denied.');
      return dir === undefined ? { ...listing, dir: '/home/ada' } : listing;
    });
    const database = useDatabaseStore();
    await expect(database.listFolder()).resolves.toEqual({
      ok: true,
      listing: { ...listing, dir: '/home/ada' },
    });
    await expect(database.listFolder('/data')).resolves.toEqual({ ok: true, listing });
    await expect(database.listFolder('/root')).resolves.toEqual({
      ok: false,
      message: '/root cannot be read: permission denied.',
    });
    expect(useNoticesStore().notices[0]).toMatchObject({ level: 'error', context: 'Listing /root' });
  });
});
