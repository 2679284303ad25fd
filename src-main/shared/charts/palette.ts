/** Series colours (Tableau 10): distinct, colour-blind friendly, readable on white. */
export const SERIES_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** Colour of the i-th series, cycling through the palette. */
export function seriesColor(index: number, palette: readonly string[] = SERIES_PALETTE): string {
  if (palette.length === 0) throw new RangeError('seriesColor: palette is empty');
  return palette[((index % palette.length) + palette.length) % palette.length] as string;
}
