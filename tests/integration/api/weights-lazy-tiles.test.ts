import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWeightsHandlers, type WeightsHandlers } from '../../../src-main/api/weights/weights-handlers';
import type { ComputeRequest } from '../../../src-main/api/compute/compute-messages';
import { runHeatmapTaskOn } from '../../../src-main/api/weights/weights-heatmap-task';
import { packShared, type LazySide } from '../../../src-main/api/weights/weights-sources';
import { heatmapTilePayload, TensorViews } from '../../../src-main/api/weights/weights-tiles';
import { decodeFloat32Base64 } from '../../../src-main/shared/contract-weights';
import { createDatabase, type DeltascopeDb } from '../../../src-main/store';
import { mapSource, setNativeHeatmap, sourceTensors, type TensorSource } from '../../../src-main/weights';
import { hfModel, PLANTED, SMALL_HF_LAYOUT, writeHfFolderPair } from '../../fixtures/hf-folders';
import { makeTempDir } from '../../helpers/temp-dir';

/**
 * Heatmap tiles, hover values and overview pages of large models read only the tensors they show,
 * when first viewed, and keep them: checked on two sharded BF16 folders (../../fixtures/hf-folders)
 * read tensor by tensor (lazyFromParams 0) against the same folders loaded whole.
 */
const temp = makeTempDir('lazy-tiles');
let db: DeltascopeDb;
let lazy: WeightsHandlers;
let eager: WeightsHandlers;
let refs: { a: { file: string }; b: { file: string } };

beforeAll(() => {
  db = createDatabase(`${temp.dir}/lazy.deltascope`);
  const folders = writeHfFolderPair(temp.dir);
  refs = { a: { file: folders.a }, b: { file: folders.b } };
  const handlers = (lazyFromParams: number) =>
    createWeightsHandlers({ database: () => db, emit: () => undefined, lazyFromParams });
  lazy = handlers(0);
  eager = handlers(Number.MAX_SAFE_INTEGER);
});
afterAll(() => {
  db.close();
  temp.cleanup();
});

const tileParams = { tileRow: 0, tileCol: 0, tileSize: 8, percentile: 99 } as const;

describe('heatmaps of model folders read tensor by tensor', () => {
  it('give the same tiles at every level, hover values and overview as the folders loaded whole', async () => {
    for (const view of ['delta', 'a', 'b'] as const) {
      for (const level of [0, 1, 2, 3, undefined]) {
        for (const tileCol of [0, 1]) {
          const params = { ...refs, ...tileParams, tileCol, tensor: PLANTED.strong, view, level };
          if (level === undefined && tileCol > 0) continue;
          if (level !== undefined && tileCol * 8 * 2 ** level >= 16) continue;
          expect(await lazy['diff.tile'](params)).toEqual(await eager['diff.tile'](params));
        }
      }
    }
    const cell = { ...refs, tensor: PLANTED.strong, row: 3, col: 3 };
    const hover = await lazy['diff.cell'](cell);
    expect(hover).toEqual(await eager['diff.cell'](cell));
    // Element 51 of the up projection: planted −1/8 (odd index, a multiple of 3).
    expect(hover.delta).toBe(-1 / 8);
    const overview = {
      ...refs,
      view: 'delta',
      maxSize: 8,
      percentile: 99,
      partial: false,
      offset: 0,
    } as const;
    expect(await lazy['diff.overview'](overview)).toEqual(await eager['diff.overview'](overview));
  });

  it('page the overview: a page holds `limit` tensors from `offset`, with the total', async () => {
    const base = { ...refs, view: 'delta', maxSize: 8, percentile: 99, partial: false } as const;
    const whole = await lazy['diff.overview']({ ...base, offset: 0 });
    const total = 3 + 9 * SMALL_HF_LAYOUT.layers;
    expect([whole.total, whole.tensors.length]).toEqual([total, total]);
    const page = await lazy['diff.overview']({ ...base, offset: 45, limit: 10 });
    expect([page.total, page.offset]).toEqual([total, 45]);
    expect(page.tensors).toEqual(whole.tensors.slice(45, 55));
    const last = await lazy['diff.overview']({ ...base, offset: total - 2, limit: 10 });
    expect(last.tensors.map((t) => t.name)).toEqual(['model.norm.weight', 'lm_head.weight']);
  });
});

/** A model in memory whose reads (decoded or raw) are counted per tensor. */
function countingSide(key: string, tuned: boolean, reads: Map<string, number>): LazySide {
  const map = hfModel(SMALL_HF_LAYOUT, tuned);
  const open = (): TensorSource => {
    const source = mapSource(map, key);
    return {
      ...source,
      read(name, start, out) {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        source.read(name, start, out);
      },
      readRaw(name, start, count, scratch) {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        return source.readRaw!(name, start, count, scratch);
      },
    };
  };
  const probe = open();
  return {
    key,
    side: {
      label: key,
      source: 'safetensors',
      checkpoint: null,
      runName: null,
      file: null,
      tensorCount: probe.tensors.length,
      paramCount: 0,
    },
    tensors: sourceTensors(probe),
    open,
    // What a compute thread would open (these tests run the tasks inline, through `open`).
    spec: { kind: 'memory', label: key, ...packShared(map) },
  };
}

describe('a tensor view', () => {
  it('is computed when first viewed, from that tensor alone, and served from the cache after', async () => {
    const reads = new Map<string, number>();
    const a = countingSide('A', false, reads);
    const b = countingSide('B', true, reads);
    const views = new TensorViews();
    const params = { tensor: PLANTED.weak, view: 'delta' as const, ...tileParams };
    const first = await heatmapTilePayload(views, a, b, params);
    // One read of A and one of B for the viewed tensor (it fits one chunk); nothing else was read.
    expect([...reads]).toEqual([[PLANTED.weak, 2]]);
    for (const level of [0, 1]) await heatmapTilePayload(views, a, b, { ...params, level });
    expect(await heatmapTilePayload(views, a, b, params)).toEqual(first);
    expect([...reads]).toEqual([[PLANTED.weak, 2]]);
    expect(Math.max(...decodeFloat32Base64(first.values).map(Math.abs))).toBe(1 / 32);
  });
});

describe('tensor views computed by a compute thread', () => {
  it('share one build among concurrent first tiles, then cut tiles at or above the base without a task', async () => {
    const reads = new Map<string, number>();
    const a = countingSide('A', false, reads);
    const b = countingSide('B', true, reads);
    const ops: string[] = [];
    // Stands in for ComputeRunner.quick: runs each task the way the compute thread does, from the specs.
    const compute = {
      quick: async <T>(request: ComputeRequest): Promise<T> => {
        if (request.kind !== 'heatmap') throw new Error(`unexpected ${request.kind}`);
        ops.push(request.task.op);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return runHeatmapTaskOn(request.a, request.b, request.task) as T;
      },
    };
    const threaded = new TensorViews({ compute, fullCells: 32 });
    const inline = new TensorViews({ fullCells: 32 });
    const params = { tensor: PLANTED.strong, view: 'delta' as const, ...tileParams };
    // Two panels asking for the same tensor's first paint at once: one view built.
    const tiles = await Promise.all([0, 1].map(() => heatmapTilePayload(threaded, a, b, params)));
    expect(ops).toEqual(['view']);
    // The counted sides were never opened here: the thread read the specs' shared weights.
    expect(reads.size).toBe(0);
    expect(tiles[1]).toEqual(tiles[0]);
    expect(tiles[0]).toEqual(await heatmapTilePayload(inline, a, b, params));
    await heatmapTilePayload(threaded, a, b, { ...params, level: 3 });
    expect(ops).toEqual(['view']);
    await heatmapTilePayload(threaded, a, b, { ...params, level: 0 });
    expect(ops).toEqual(['view', 'tile']);
  });
});

describe.each([
  ['the C pass', true],
  ['the JS pass', false],
])('a large tensor’s view, kept from a base level up (%s)', (_kernel, native) => {
  beforeAll(() => void setNativeHeatmap(native));
  afterAll(() => void setNativeHeatmap(true));

  it('gives the tiles of every level, the scale and the overview of the view kept whole, reading only a tile’s region below its base', async () => {
    const reads = new Map<string, number>();
    const a = countingSide('A', false, reads);
    const b = countingSide('B', true, reads);
    // The up projection is 32 × 16: kept whole by default, from level 2 (8 × 4 cells) with 32 cells.
    const whole = new TensorViews();
    const based = new TensorViews({ fullCells: 32 });
    for (const view of ['delta', 'a', 'b'] as const) {
      for (const percentile of [50, 99]) {
        for (const level of [0, 1, 2, 3, 4, 5, undefined]) {
          const params = { tensor: PLANTED.strong, view, ...tileParams, percentile, level };
          expect(await heatmapTilePayload(based, a, b, params)).toEqual(
            await heatmapTilePayload(whole, a, b, params),
          );
        }
      }
      const overview = { view, maxSize: 4, percentile: 99 };
      expect(await based.overviewTiles(a, b, [PLANTED.strong, PLANTED.weak], overview)).toEqual(
        await whole.overviewTiles(a, b, [PLANTED.strong, PLANTED.weak], overview),
      );
    }
    // Cached: a tile at or above the base level reads nothing more; one below reads its region.
    const params = { tensor: PLANTED.strong, view: 'delta' as const, ...tileParams, level: 2 };
    reads.clear();
    await heatmapTilePayload(based, a, b, params);
    expect([...reads]).toEqual([]);
    await heatmapTilePayload(based, a, b, { ...params, level: 0 });
    expect(reads.get(PLANTED.strong)).toBeGreaterThan(0);
  });
});
