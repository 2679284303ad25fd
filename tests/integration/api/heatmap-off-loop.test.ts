import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiService } from '../../../src-main/api';
import { ComputeRunner } from '../../../src-main/api/compute/compute-runner';
import { createWeightsHandlers, type WeightsHandlers } from '../../../src-main/api/weights/weights-handlers';
import { startServer, type RunningServer } from '../../../src-main/server';
import type { CallResult } from '../../../src-main/shared';
import type {
  DiffView,
  HeatmapTilePayload,
  OverviewTilePayload,
} from '../../../src-main/shared/contract-weights';
import { writeSafetensorsFromSource } from '../../../src-main/weights';
import { DOWN_PROJECTION, DOWN_PROJECTION_NORM, downProjectionSource } from '../../fixtures/down-projection';
import { writeSampleDatabase } from '../../fixtures/sample-db';
import { startApiService, type ApiTestService } from '../../helpers/api-service';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * A heatmap's view is built in the API's compute thread, not on the event loop that answers the API:
 * while the first tile of a 4096 × 11008 BF16 tensor (a 7B model's down projection, two files of
 * 90 MB) is being computed, app.info calls through the real HTTP server keep being answered; and
 * every tile, colour scale and overview thumbnail is the one computed inline (as the CLI does).
 */

const TENSOR = DOWN_PROJECTION.name;
const NORM = DOWN_PROJECTION_NORM;
const source = downProjectionSource;

const temp = makeTempDir('heatmap-off-loop');
let api: ApiTestService;
let server: RunningServer;
let inline: WeightsHandlers;
let files: { a: { file: string }; b: { file: string } };
let checkpointIds: number[];

beforeAll(async () => {
  const paths = [join(temp.dir, 'base.safetensors'), join(temp.dir, 'tuned.safetensors')] as const;
  paths.forEach((path, i) => writeSafetensorsFromSource(path, source(i === 1), { dtype: 'BF16' }));
  files = { a: { file: paths[0] }, b: { file: paths[1] } };
  const dbPath = join(temp.dir, 'sample.deltascope');
  ({ checkpointIds } = writeSampleDatabase(dbPath));
  api = startApiService(temp.dir, { open: dbPath });
  server = await startServer({ handlers: api.service.handlers, bus: api.bus, staticDir: null, port: 0 });
  // The same methods computed on the caller's thread: what the API answered before.
  inline = createWeightsHandlers({ database: () => api.service.database(), emit: () => undefined });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await api?.dispose();
  temp.cleanup();
});

/** One call through the server's HTTP endpoint, as the browser makes it. */
async function post<T>(method: string, params: unknown): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${server.port}/api/call`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify({ method, params }),
  });
  const body = (await response.json()) as CallResult;
  if (!body.ok) throw new Error(`${body.error.code}: ${body.error.message}`);
  return body.result as T;
}

const firstPaint = {
  tensor: TENSOR,
  view: 'delta' as DiffView,
  tileRow: 0,
  tileCol: 0,
  tileSize: 256,
  percentile: 99,
};

describe('the first heatmap of a 4096 × 11008 tensor', () => {
  it('is computed while app.info calls through the server keep answering, and matches the inline computation', async () => {
    // Warm the compute thread so what follows times the view itself, not a thread's start.
    await post('diff.tile', { ...files, ...firstPaint, tensor: NORM });
    const started = performance.now();
    let heavyDone: number | null = null;
    const heavy = post<HeatmapTilePayload>('diff.tile', { ...files, ...firstPaint }).then((tile) => {
      heavyDone = performance.now();
      return tile;
    });
    // Cheap calls one after another, each sent once the previous has answered, until the view is built.
    const answered: { sent: number; took: number }[] = [];
    while (heavyDone === null) {
      const sent = performance.now();
      await post('app.info', {});
      if (heavyDone === null) answered.push({ sent: sent - started, took: performance.now() - sent });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const tile = await heavy;
    const heavyMs = heavyDone - started;
    const summary = `view built in ${heavyMs.toFixed(0)} ms; app.info answered before it: ${answered
      .map((a) => `${a.took.toFixed(0)} ms`)
      .join(', ')}`;
    // On the event loop, the build blocked every call that came after it: none answered before it.
    // Off it, calls kept being answered while it ran (three, one after another, at the least).
    expect(answered.length, summary).toBeGreaterThanOrEqual(3);
    expect(tile.level).toBe(tile.fitLevel);
    expect(tile).toEqual(await inline['diff.tile']({ ...files, ...firstPaint }));
  }, 120_000);

  it('gives the inline tiles below the view’s base, other colour scales and the overview', async () => {
    for (const params of [
      { ...firstPaint, level: 0 },
      { ...firstPaint, level: 2, tileRow: 3, tileCol: 7 },
      { ...firstPaint, level: 4, tileRow: 0, tileCol: 2 },
      { ...firstPaint, percentile: 50 },
      { ...firstPaint, view: 'b' as const, level: 1, tileRow: 5, tileCol: 9 },
    ]) {
      const viaServer = await post<HeatmapTilePayload>('diff.tile', { ...files, ...params });
      expect(viaServer).toEqual(await inline['diff.tile']({ ...files, ...params }));
    }
    const overview = { ...files, view: 'a' as const, maxSize: 64, percentile: 99, partial: false, offset: 0 };
    const tensors = (await post<{ tensors: OverviewTilePayload[] }>('diff.overview', overview)).tensors;
    expect(tensors.map((t) => t.name)).toEqual([TENSOR, NORM]);
    expect(tensors).toEqual((await inline['diff.overview'](overview)).tensors);
  }, 120_000);
});

describe('heatmaps of stored checkpoints in the compute thread', () => {
  it('read a checkpoint loaded in memory or through the thread’s own connection, as inline', async () => {
    const runner = new ComputeRunner({ emit: () => undefined });
    const service: ApiService = api.service;
    try {
      for (const lazyFromParams of [0, undefined]) {
        const threaded = createWeightsHandlers({
          database: () => service.database(),
          emit: () => undefined,
          compute: runner,
          ...(lazyFromParams === undefined ? {} : { lazyFromParams }),
        });
        const refs = { a: { checkpointId: checkpointIds[0]! }, b: { checkpointId: checkpointIds[5]! } };
        for (const level of [0, 1, undefined]) {
          const params = { ...refs, ...firstPaint, tensor: 'torso.dense1.kernel', tileSize: 32, level };
          expect(await threaded['diff.tile'](params)).toEqual(await inline['diff.tile'](params));
        }
        const overview = {
          ...refs,
          view: 'delta',
          maxSize: 16,
          percentile: 99,
          partial: false,
          offset: 0,
        } as const;
        expect(await threaded['diff.overview'](overview)).toEqual(await inline['diff.overview'](overview));
        const missing = { ...refs, ...firstPaint, tensor: 'torso.nope' };
        await expect(threaded['diff.tile'](missing)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
    } finally {
      await runner.dispose();
    }
  }, 120_000);
});
