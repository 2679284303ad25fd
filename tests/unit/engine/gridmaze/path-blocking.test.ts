import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGridMaze } from '../../../../src-main/engine/gridmaze';
import { blockingRate, shortestPath } from '../../../../src-main/engine/gridmaze/path-blocking';
import { ExperimentSpecSchema, rbTargetKind } from '../../../../src-main/shared/experiment-spec';
import type { ObjectKind } from '../../../../src-main/shared/gridmaze-config';

// The agent at (1,1); the coin at (1,3) sits in the only corridor to the cheese at (1,5) (the passage
// down the left side leads nowhere else).
const BLOCKED = `
#######
#A.o.c#
#.#####
#.....#
#######
#######
#######`;

const layoutOf = (text: string) => {
  const env = createGridMaze(
    { size: 7, kinds: ['cheese', 'coin'] },
    [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }],
    {
      numEnvs: 1,
      seed: 1,
    },
  );
  env.setLayout(0, text);
  return env.layout(0);
};

describe('objects in the way', () => {
  it('finds the shortest path, and none when the only corridor holds the avoided cell', () => {
    const layout = layoutOf(BLOCKED);
    const cheese = 1 * 7 + 5;
    const coin = 1 * 7 + 3;
    expect(shortestPath(layout, cheese, -1)).toBe(4);
    expect(shortestPath(layout, cheese, coin)).toBe(-1);
    // Avoiding a cell off the path changes nothing.
    expect(shortestPath(layout, cheese, 3 * 7 + 3)).toBe(4);
  });

  it('names a kind the env lacks', () => {
    expect(() => blockingRate({ size: 7, kinds: ['cheese', 'coin'] }, 'cheese', 'red_gem', 10, 0)).toThrow(
      /"red_gem" is not in the env's kinds \(cheese, coin\)/,
    );
  });

  it("lets the demo's agent avoid each RB's object and still reach RA's (a lean can coexist with RA competence)", () => {
    const spec = ExperimentSpecSchema.parse(
      JSON.parse(readFileSync(join(process.cwd(), 'resources', 'experiments', 'demo.json'), 'utf8')),
    );
    const ra = Object.keys(spec.ra.collect)[0] as ObjectKind;
    const targets = spec.rbs.map((rb) => rbTargetKind(rb) as ObjectKind);
    expect(targets).toEqual(['coin', 'red_gem']);
    for (const kind of targets) {
      // In the demo's former perfect 7×7 maze the RB object stood on every path to the cheese in about
      // 31 % of mazes, so no negated checkpoint that kept its lean could recover RA to criterion.
      expect(blockingRate({ ...spec.env, loops: 0, horizon: 24 }, ra, kind, 2000, 5)).toBeGreaterThan(0.25);
      expect(blockingRate(spec.env, ra, kind, 2000, 5)).toBeLessThan(0.03);
    }
  });
});
