import { describe, expect, it } from 'vitest';
import {
  kindOfName,
  namedSeriesColors,
  OBJECT_KIND_COLORS,
  OTHER_SERIES_PALETTE,
} from '../../../../src-main/shared/charts/palette';
import { OBJECT_COLORS } from '../../../../src-renderer/maze/maze-colors';

describe('one palette', () => {
  it('gives a reward naming an object kind that kind’s colour, as the maze draws it', () => {
    expect(OBJECT_COLORS).toBe(OBJECT_KIND_COLORS);
    expect(kindOfName('charts/episodic_return/blue_gem')).toBe('blue_gem');
    expect(kindOfName('BlueGem')).toBe('blue_gem');
    expect(kindOfName('gem')).toBe('red_gem');
    expect(kindOfName('RA')).toBeNull();
    expect(namedSeriesColors(['blue_gem', 'coin', 'gem'])).toEqual([
      OBJECT_KIND_COLORS.blue_gem,
      OBJECT_KIND_COLORS.coin,
      OBJECT_KIND_COLORS.red_gem,
    ]);
  });

  it('colours any other name the same in every chart, apart from every kind', () => {
    const alone = namedSeriesColors(['RA'])[0];
    expect(namedSeriesColors(['coin', 'RA', 'gem'])[1]).toBe(alone);
    expect(namedSeriesColors(['charts/success/RA'])[0]).toBe(alone);
    expect(OTHER_SERIES_PALETTE).toContain(alone);
    expect(Object.values(OBJECT_KIND_COLORS)).not.toContain(alone);
  });

  it('keeps two other names of one chart apart', () => {
    const names = ['RA', 'RB', 'RC', 'MA', 'null drift', 'mean', 'ties'];
    expect(new Set(namedSeriesColors(names)).size).toBe(names.length);
  });
});
