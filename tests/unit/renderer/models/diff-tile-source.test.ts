import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../../../src-renderer/api/client';
import { createDiffTileSource, decodeTile } from '../../../../src-renderer/models/diff-tile-source';
import { tile } from '../diff-fixtures';
import { FakeTransport } from '../fake-transport';

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
