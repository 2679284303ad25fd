import { OBJECT_KINDS, type ObjectKind } from '../gridmaze-config';

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

/**
 * The one colour of each object kind, and of a reward that names one ("coin", "blue_gem", "gem"):
 * the maze painter, the app's charts and the report's charts all take it from here.
 */
export const OBJECT_KIND_COLORS: Readonly<Record<ObjectKind, string>> = {
  cheese: '#d4a300',
  coin: '#f28e2b',
  red_gem: '#e15759',
  blue_gem: '#4e79a7',
};

/** Colours of series that name no object kind (RA, losses, …): none is close to a kind's colour. */
export const OTHER_SERIES_PALETTE = [
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#9c755f',
  '#ff9da7',
  '#2f4b7c',
  '#8c8c8c',
] as const;

/**
 * The object kind a series or reward name stands for: its last `/` part, case-insensitive, equal to
 * a kind with or without the underscore ("blue_gem", "BlueGem"), or one word of exactly one kind's
 * name in canonical order ("gem" → red_gem, the first gem); null otherwise.
 */
export function kindOfName(name: string): ObjectKind | null {
  const last = (name.split('/').pop() ?? name).toLowerCase().replace(/[\s-]/g, '_');
  const squashed = last.replace(/_/g, '');
  for (const kind of OBJECT_KINDS) if (kind === last || kind.replace(/_/g, '') === squashed) return kind;
  for (const kind of OBJECT_KINDS) if (kind.split('_').includes(last)) return kind;
  return null;
}

/** FNV-1a of a string: the same name gets the same colour in every chart. */
function nameHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/**
 * Colours of the named series of one chart: a kind's colour for a series naming a kind; every other
 * name keeps the palette colour its hash picks (the next free one if two names of this chart collide),
 * so "RA" is the same colour in the run browser, the training monitor and the report.
 */
export function namedSeriesColors(names: readonly string[]): string[] {
  const used = new Set<string>();
  const colors = names.map((name) => {
    const kind = kindOfName(name);
    return kind === null ? null : OBJECT_KIND_COLORS[kind];
  });
  for (const color of colors) if (color !== null) used.add(color);
  return names.map((name, i) => {
    const fixed = colors[i];
    if (fixed !== null && fixed !== undefined) return fixed;
    const start = nameHash((name.split('/').pop() ?? name).toLowerCase()) % OTHER_SERIES_PALETTE.length;
    for (let k = 0; k < OTHER_SERIES_PALETTE.length; k++) {
      const candidate = OTHER_SERIES_PALETTE[(start + k) % OTHER_SERIES_PALETTE.length] as string;
      if (!used.has(candidate)) {
        used.add(candidate);
        return candidate;
      }
    }
    return OTHER_SERIES_PALETTE[start] as string;
  });
}
