import { describe, expect, it } from 'vitest';
import { buildCosineMatrixOptions } from '../../../../src-main/shared/charts/cosine-matrix-options';

type Formatter = (param: unknown) => string;

describe('the matrix heatmaps’ shared frame', () => {
  it('names the hovered cell by its row and column label (not swapped), and an undefined value as such', () => {
    const options = buildCosineMatrixOptions({
      labels: ['coin', 'gem'],
      cosine: [
        [1, 0.25],
        [0.25, null],
      ],
    });
    const tooltip = options.tooltip as { formatter: Formatter };
    expect(tooltip.formatter({ value: [1, 0, 0.25] })).toBe('cos(Δ <b>coin</b>, Δ <b>gem</b>) = 0.25');
    expect(tooltip.formatter({ value: [1, 1, '-'] })).toContain('undefined (a zero delta)');
    expect(tooltip.formatter({})).toBe('');
  });
});
