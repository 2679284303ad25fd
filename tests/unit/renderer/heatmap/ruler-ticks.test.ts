import { describe, expect, it } from 'vitest';
import { rulerBands, rulerStep, rulerTicks } from '../../../../src-renderer/heatmap/ruler-ticks';

describe('heatmap rulers', () => {
  it('steps by 1, 2 or 5 × 10^k so ticks stay readable at any zoom', () => {
    expect(rulerStep(64, 40)).toBe(1);
    expect(rulerStep(25, 40)).toBe(2);
    expect(rulerStep(10, 40)).toBe(5);
    expect(rulerStep(0.434, 22)).toBe(100); // 1014 rows in 440 px
    expect(rulerStep(0.1, 48)).toBe(500);
    expect(() => rulerStep(0, 40)).toThrow(/scale must be a positive number, got 0/);
  });

  it('puts ticks at cell centres of the visible indices, following pan and zoom', () => {
    // 1014 rows fitted into 440 px: ticks every 100 rows.
    const fit = rulerTicks(0, 440 / 1014, 1014, 440, 22);
    expect(fit.map((t) => t.index)).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(fit[1]?.position).toBeCloseTo(100.5 * (440 / 1014), 9);
    // Zoomed in 20× and panned to row ≈ 500: finer ticks, and the indices of the rows in view.
    const scale = (440 / 1014) * 20;
    const offset = -500 * scale;
    const zoomed = rulerTicks(offset, scale, 1014, 440, 22);
    expect(zoomed.map((t) => t.index)).toEqual([500, 505, 510, 515, 520, 525, 530, 535, 540, 545, 550]);
    for (const tick of zoomed) {
      expect(tick.position).toBeGreaterThanOrEqual(0);
      expect(tick.position).toBeLessThanOrEqual(440);
    }
    // Nothing in view, and a matrix of no cells.
    expect(rulerTicks(500, 10, 20, 440)).toEqual([]);
    expect(rulerTicks(0, 10, 0, 440)).toEqual([]);
  });

  it('names the bands in view (one per observation channel), clipped to the ruler', () => {
    // 4 channels of 25 cells, 2 px a row, panned up by 30 px.
    const bands = rulerBands(-30, 2, 25, ['wall', 'agent', 'coin', 'cheese'], 100, 120);
    expect(bands).toEqual([
      { label: 'wall', start: 0, end: 20 },
      { label: 'agent', start: 20, end: 70 },
      { label: 'coin', start: 70, end: 120 },
    ]);
    expect(() => rulerBands(0, 1, 0, ['a'], 10, 10)).toThrow(/size must be a positive whole number, got 0/);
  });
});
