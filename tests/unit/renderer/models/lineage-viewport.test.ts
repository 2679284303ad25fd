import { describe, expect, it } from 'vitest';
import {
  centerOn,
  FIT_MARGIN,
  fitView,
  initialView,
  MAX_SCALE,
  MIN_SCALE,
  minimapScale,
  panBy,
  visibleRect,
  zoomAt,
} from '../../../../src-renderer/models/lineage-viewport';

const viewport = { width: 1000, height: 600 };

describe('lineage viewport', () => {
  it('fits a graph larger than the window inside it, centred, and never enlarges a small one', () => {
    const big = { width: 13_274, height: 4_266 };
    const view = fitView(big, viewport);
    expect(view.scale).toBeCloseTo((1000 - 2 * FIT_MARGIN) / 13_274, 12);
    expect(view.x).toBeCloseTo(FIT_MARGIN, 9);
    // Whole graph within the viewport.
    const rect = visibleRect(view, viewport);
    expect(rect.x).toBeLessThanOrEqual(0);
    expect(rect.y).toBeLessThanOrEqual(0);
    expect(rect.x + rect.width).toBeGreaterThanOrEqual(big.width);
    expect(rect.y + rect.height).toBeGreaterThanOrEqual(big.height);
    expect(fitView({ width: 200, height: 100 }, viewport)).toEqual({ scale: 1, x: 400, y: 250 });
    expect(() => fitView({ width: 0, height: 10 }, viewport)).toThrow(/positive size/);
  });

  it('starts fitted when that is at least half size, else 1:1 at the top left', () => {
    expect(initialView({ width: 1500, height: 500 }, viewport).scale).toBeGreaterThanOrEqual(0.5);
    expect(initialView({ width: 13_274, height: 4_266 }, viewport)).toEqual({ scale: 1, x: 0, y: 0 });
  });

  it('zooms about a point, which stays put, within the scale limits', () => {
    const start = { scale: 1, x: -100, y: -50 };
    const at = { x: 300, y: 200 };
    const zoomed = zoomAt(start, 2, at);
    // Graph point under `at` before: ((300+100)/1, (200+50)/1) = (400, 250); after: the same.
    expect((at.x - zoomed.x) / zoomed.scale).toBeCloseTo(400, 9);
    expect((at.y - zoomed.y) / zoomed.scale).toBeCloseTo(250, 9);
    expect(zoomAt(start, 100, at).scale).toBe(MAX_SCALE);
    expect(zoomAt(start, 1e-6, at).scale).toBe(MIN_SCALE);
    expect(() => zoomAt(start, 0, at)).toThrow(/factor must be positive/);
  });

  it('pans, centres on a graph point and scales the minimap into its box', () => {
    expect(panBy({ scale: 0.5, x: 1, y: 2 }, 10, -5)).toEqual({ scale: 0.5, x: 11, y: -3 });
    const centred = centerOn({ scale: 0.5, x: 0, y: 0 }, { x: 800, y: 400 }, viewport);
    const rect = visibleRect(centred, viewport);
    expect(rect.x + rect.width / 2).toBeCloseTo(800, 9);
    expect(rect.y + rect.height / 2).toBeCloseTo(400, 9);
    expect(minimapScale({ width: 2200, height: 400 }, { width: 220, height: 130 })).toBeCloseTo(0.1, 12);
  });
});
