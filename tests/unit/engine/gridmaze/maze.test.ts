import { describe, expect, it } from 'vitest';
import { carveMaze, createMazeScratch } from '../../../../src-main/engine/gridmaze/maze';
import { createGridMaze } from '../../../../src-main/engine/gridmaze';
import { createRng } from '../../../../src-main/shared/random';

function carve(size: number, loops: number, seed: number): Uint8Array {
  const grid = new Uint8Array(size * size);
  carveMaze(size, loops, createRng(seed), grid, 0, createMazeScratch(size));
  return grid;
}

/** Open cells, edges between 4-adjacent open cells, and the size of the component of the first open cell. */
function graphOf(grid: Uint8Array, size: number): { open: number; edges: number; reached: number } {
  let open = 0;
  let edges = 0;
  let first = -1;
  for (let cell = 0; cell < size * size; cell++) {
    if (grid[cell] !== 0) continue;
    open++;
    if (first < 0) first = cell;
    if (grid[cell + 1] === 0) edges++;
    if (grid[cell + size] === 0) edges++;
  }
  const seen = new Uint8Array(size * size);
  const queue = [first];
  seen[first] = 1;
  for (let q = 0; q < queue.length; q++) {
    const cell = queue[q] as number;
    for (const next of [cell - size, cell + size, cell - 1, cell + 1]) {
      if (grid[next] === 0 && seen[next] === 0) {
        seen[next] = 1;
        queue.push(next);
      }
    }
  }
  return { open, edges, reached: queue.length };
}

function borderIsWall(grid: Uint8Array, size: number): boolean {
  for (let i = 0; i < size; i++) {
    if (!grid[i] || !grid[(size - 1) * size + i] || !grid[i * size] || !grid[i * size + size - 1])
      return false;
  }
  return true;
}

describe('maze generation', () => {
  it.each([5, 7, 11, 21])(
    'S=%i: a perfect maze is a spanning tree of the lattice with 2m²−1 open cells',
    (size) => {
      const m = (size - 1) / 2;
      for (let seed = 0; seed < 150; seed++) {
        const grid = carve(size, 0, seed);
        const { open, edges, reached } = graphOf(grid, size);
        expect(open).toBe(2 * m * m - 1);
        expect(reached).toBe(open); // connected
        expect(edges).toBe(open - 1); // connected with V−1 edges: acyclic
        expect(borderIsWall(grid, size)).toBe(true);
        for (let r = 1; r < size - 1; r++) {
          for (let c = 1; c < size - 1; c++) {
            if (r % 2 === 1 && c % 2 === 1) expect(grid[r * size + c]).toBe(0);
            if (r % 2 === 0 && c % 2 === 0) expect(grid[r * size + c]).toBe(1);
          }
        }
      }
    },
  );

  it('loops = 1 opens every wall between two open cells', () => {
    for (const size of [5, 11]) {
      const m = (size - 1) / 2;
      const grid = carve(size, 1, 3);
      expect(graphOf(grid, size).open).toBe((size - 2) ** 2 - (m - 1) ** 2);
      expect(borderIsWall(grid, size)).toBe(true);
    }
  });

  it('loops = p opens a fraction p of the (m−1)² remaining walls', () => {
    const size = 11;
    const m = 5;
    let opened = 0;
    const mazes = 400;
    for (let seed = 0; seed < mazes; seed++)
      opened += graphOf(carve(size, 0.3, seed), size).open - (2 * m * m - 1);
    expect(opened / (mazes * (m - 1) ** 2)).toBeCloseTo(0.3, 1);
  });

  it('every episode gets a new maze', () => {
    const env = createGridMaze(
      { size: 11, horizon: 1 },
      [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }],
      {
        numEnvs: 1,
        seed: 5,
      },
    );
    const mazes = new Set<string>();
    for (let t = 0; t < 20; t++) {
      mazes.add(env.layout(0).walls.join(''));
      env.step(Int32Array.from([0]));
    }
    expect(mazes.size).toBe(20);
  });
});

describe('placement', () => {
  const RA = [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }];

  it('agent and objects sit on distinct open cells', () => {
    const env = createGridMaze(
      { size: 7, kinds: ['cheese', 'coin', 'red_gem', 'blue_gem'], horizon: 1 },
      RA,
      {
        numEnvs: 8,
        seed: 2,
      },
    );
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < 8; i++) {
        const layout = env.layout(i);
        const cells = [layout.agent, ...layout.objects].map((p) => p.row * 7 + p.col);
        expect(new Set(cells).size).toBe(5);
        for (const cell of cells) expect(layout.walls[cell]).toBe(0);
      }
      env.step(new Int32Array(8));
    }
  });

  it('an object restricted to the top-right k×k region always lands in it; others roam', () => {
    const size = 11;
    const env = createGridMaze(
      {
        size,
        horizon: 1,
        regions: [{ name: 'top_right', corner: 'top-right', size: 3 }],
        placement: { cheese: 'top_right' },
      },
      RA,
      { numEnvs: 16, seed: 4 },
    );
    let coinOutside = 0;
    const cheeseCells = new Set<number>();
    for (let t = 0; t < 40; t++) {
      for (let i = 0; i < 16; i++) {
        const objects = env.layout(i).objects;
        const cheese = objects.find((o) => o.kind === 'cheese');
        const coin = objects.find((o) => o.kind === 'coin');
        expect(cheese).toBeDefined();
        expect(
          cheese!.row >= 1 && cheese!.row <= 3 && cheese!.col >= size - 4 && cheese!.col <= size - 2,
        ).toBe(true);
        cheeseCells.add(cheese!.row * size + cheese!.col);
        if (coin && (coin.row > 3 || coin.col < size - 4)) coinOutside++;
      }
      env.step(new Int32Array(16));
    }
    expect(cheeseCells.size).toBeGreaterThanOrEqual(4); // spread over the region's open cells
    expect(coinOutside).toBeGreaterThan(500);
  });

  it('a full region falls back to the next larger square of the same corner', () => {
    const size = 7;
    const env = createGridMaze(
      {
        size,
        horizon: 1,
        regions: [{ name: 'corner', corner: 'bottom-left', size: 1 }],
        agentStart: 'corner',
        placement: { cheese: 'corner' },
      },
      RA,
      { numEnvs: 4, seed: 8 },
    );
    for (let t = 0; t < 50; t++) {
      for (let i = 0; i < 4; i++) {
        const layout = env.layout(i);
        expect(layout.agent).toEqual({ row: size - 2, col: 1 }); // the 1×1 corner cell is always open
        const cheese = layout.objects.find((o) => o.kind === 'cheese')!;
        expect(cheese.row >= size - 3 && cheese.col <= 2).toBe(true); // inside the 2×2 square
      }
      env.step(new Int32Array(4));
    }
  });
});
