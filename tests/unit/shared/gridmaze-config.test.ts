import { describe, expect, it } from 'vitest';
import { GridMazeConfigSchema } from '../../../src-main/shared/gridmaze-config';

describe('GridMazeConfigSchema', () => {
  it('defaults to the benchmark configuration', () => {
    expect(GridMazeConfigSchema.parse({})).toEqual({
      size: 11,
      kinds: ['cheese', 'coin'],
      horizon: 64,
      loops: 0,
      terminateOn: 'none',
      view: 'global',
      regions: [],
      placement: {},
      agentStart: 'uniform',
    });
  });

  it('documents every field', () => {
    for (const [key, field] of Object.entries(GridMazeConfigSchema.shape)) {
      expect(field.description, key).toMatch(/\w/);
    }
  });

  it('rejects what the environment cannot build, saying where', () => {
    const issues = (input: unknown): string[] => {
      const result = GridMazeConfigSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ size: 8 })).toEqual(['size: size must be odd']);
    expect(issues({ kinds: ['coin', 'cheese'] })[0]).toMatch(
      /^kinds: kinds must be distinct and in the canonical order/,
    );
    expect(issues({ kinds: ['cheese', 'cheese'] })[0]).toMatch(/^kinds:/);
    expect(issues({ placement: { cheese: 'top_right' } })[0]).toMatch(
      /^placement.cheese: placement "top_right" is neither/,
    );
    expect(issues({ placement: { red_gem: 'uniform' } })).toEqual([
      'placement.red_gem: kind "red_gem" is not in kinds',
    ]);
    expect(issues({ size: 7, regions: [{ name: 'big', corner: 'top-left', size: 6 }] })[0]).toMatch(
      /interior is only 5 wide/,
    );
    expect(
      issues({
        regions: [
          { name: 'a', corner: 'top-left', size: 1 },
          { name: 'a', corner: 'top-right', size: 1 },
        ],
      }),
    ).toHaveLength(1);
    expect(issues({ agentStart: 'nowhere' })[0]).toMatch(/^agentStart:/);
    expect(issues({ bogus: 1 })).toHaveLength(1);
  });
});
