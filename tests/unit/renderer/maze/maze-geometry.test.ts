import { describe, expect, it } from 'vitest';
import { MAZE_COLORS, OBJECT_COLORS, mazeLegend } from '../../../../src-renderer/maze/maze-colors';
import { cellCenter, cellRect, mazeLayout } from '../../../../src-renderer/maze/maze-layout';
import { heatColor, maxCount, visitIntensity } from '../../../../src-renderer/maze/visitation-grid';
import { OBJECT_KINDS } from '@shared';

describe('mazeLayout', () => {
  it('fits square cells into the canvas and centres the grid', () => {
    const layout = mazeLayout(5, 5, 460, 420, 8);
    expect(layout.cell).toBe(80);
    expect(layout.top).toBe(10);
    expect(layout.left).toBe(30);
    expect(cellRect(layout, 4, 0)).toEqual({ x: 30, y: 330, size: 80 });
    expect(cellCenter(layout, 0, 1)).toEqual({ x: 150, y: 50 });
  });

  it('refuses empty grids and canvases, naming the sizes', () => {
    expect(() => mazeLayout(0, 5, 100, 100)).toThrow(/0 × 5/);
    expect(() => mazeLayout(5, 5, 0, 100)).toThrow(/0 × 100/);
  });
});

describe('maze colours', () => {
  it('gives walls, agent, trail and every kind distinct colours, all in the legend', () => {
    const colors = [
      MAZE_COLORS.wall,
      MAZE_COLORS.floor,
      MAZE_COLORS.agent,
      MAZE_COLORS.trail,
      ...Object.values(OBJECT_COLORS),
    ];
    expect(new Set(colors).size).toBe(colors.length);
    const legend = mazeLegend(['cheese', 'red_gem']);
    expect(legend.map((e) => e.label)).toEqual(['wall', 'agent', 'trail', 'cheese', 'red gem']);
    expect(legend[4]?.color).toBe(OBJECT_COLORS.red_gem);
    expect(Object.keys(OBJECT_COLORS).sort()).toEqual([...OBJECT_KINDS].sort());
  });
});

describe('visitation colours', () => {
  it('scales counts logarithmically against the largest', () => {
    expect(visitIntensity(0, 10)).toBe(0);
    expect(visitIntensity(10, 10)).toBe(1);
    expect(visitIntensity(3, 15)).toBeCloseTo(Math.log(4) / Math.log(16), 12);
    expect(visitIntensity(5, 0)).toBe(0);
  });

  it('runs from pale yellow to dark red and clamps outside [0, 1]', () => {
    expect(heatColor(0)).toBe('rgb(255, 247, 188)');
    expect(heatColor(1)).toBe('rgb(153, 52, 4)');
    expect(heatColor(2)).toBe(heatColor(1));
    expect(heatColor(Number.NaN)).toBe(heatColor(0));
  });

  it('checks the count grid has rows × cols entries', () => {
    expect(maxCount([0, 3, 1, 2], 2, 2)).toBe(3);
    expect(() => maxCount([1, 2, 3], 2, 2)).toThrow(/3 entries, expected rows × cols = 4/);
  });
});
