import { describe, expect, it } from 'vitest';
import type { HeatmapTilePayload } from '@shared/contract-weights';
import { createApiClient } from '../../../../src-renderer/api/client';
import { createDiffTileSource, decodeTile } from '../../../../src-renderer/stores/diff-tile-source';
import { FakeTransport } from '../fake-transport';

function base64(values: number[]): string {
  return Buffer.from(Float32Array.from(values).buffer).toString('base64');
}

function tile(overrides: Partial<HeatmapTilePayload> = {}): HeatmapTilePayload {
  return {
    tensor: 'k',
    view: 'delta',
    shape: [2, 3],
    layout: 'matrix',
    matrixRows: 2,
    matrixCols: 3,
    level: 0,
    factor: 1,
    levelRows: 2,
    levelCols: 3,
    tileSize: 256,
    tilesDown: 1,
    tilesAcross: 1,
    fitLevel: 0,
    tileRow: 0,
    tileCol: 0,
    rowStart: 0,
    colStart: 0,
    rows: 2,
    cols: 3,
    values: base64([1, -2, 0.5, 0, 3, -1]),
    scale: { limit: 2.5, percentile: 99, maxAbs: 3 },
    ...overrides,
  };
}

describe('diff tile source', () => {
  it('decodes a tile reply into the renderer’s tile', () => {
    const decoded = decodeTile(tile());
    expect([...decoded.values]).toEqual([1, -2, 0.5, 0, 3, -1]);
    expect(decoded).toMatchObject({ rows: 2, cols: 3, level: 0, factor: 1, rowStart: 0, colStart: 0 });
    expect(() => decodeTile(tile({ rows: 3 }))).toThrow(/has 6 values for 3×3 cells/);
  });

  it('asks for the scale with the whole-tensor tile and serves that tile again without a call', async () => {
    const transport = new FakeTransport().handle('diff.tile', () => tile());
    const source = createDiffTileSource(createApiClient(transport), {
      a: { checkpointId: 1 },
      b: { checkpointId: 2 },
      tensor: 'k',
      view: 'delta',
      rows: 2,
      cols: 3,
    });
    await expect(source.fetchScale(95)).resolves.toEqual({ limit: 2.5, maxAbs: 3 });
    expect(transport.calls[0]?.params).toMatchObject({ tensor: 'k', percentile: 95, tileSize: 256 });
    expect(transport.calls[0]?.params).not.toHaveProperty('level');
    const again = await source.fetchTile({ level: 0, tileRow: 0, tileCol: 0 });
    expect([...again.values]).toEqual([1, -2, 0.5, 0, 3, -1]);
    expect(transport.calls).toHaveLength(1);
  });
});
