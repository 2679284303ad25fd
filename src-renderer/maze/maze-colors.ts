import type { ObjectKind } from '@shared';
import { OBJECT_KIND_COLORS } from '@shared/charts/palette';

/** Colours of the maze canvas; object kinds differ in hue and from the agent, walls and trail. */
export const MAZE_COLORS = {
  wall: '#2b3240',
  floor: '#f4f1ea',
  grid: '#e2ddd2',
  // Purple: no object kind's colour (blue is the blue gem's).
  agent: '#6a3d9a',
  trail: '#c2a5dc',
} as const;

/** The shared colour of each kind (the charts and the report use the same). */
export const OBJECT_COLORS: Readonly<Record<ObjectKind, string>> = OBJECT_KIND_COLORS;

export interface LegendEntry {
  label: string;
  color: string;
  shape: 'square' | 'circle' | 'diamond' | 'line';
}

/** The legend for a maze holding `kinds`: walls, agent, trail, then each kind. */
export function mazeLegend(kinds: readonly ObjectKind[]): LegendEntry[] {
  return [
    { label: 'wall', color: MAZE_COLORS.wall, shape: 'square' },
    { label: 'agent', color: MAZE_COLORS.agent, shape: 'circle' },
    { label: 'trail', color: MAZE_COLORS.trail, shape: 'line' },
    ...kinds.map((kind) => ({
      label: kind.replace('_', ' '),
      color: OBJECT_COLORS[kind],
      shape: 'diamond' as const,
    })),
  ];
}
