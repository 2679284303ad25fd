import type { ObjectKind } from '@shared';

/** Colours of the maze canvas; object kinds differ in hue and from the agent, walls and trail. */
export const MAZE_COLORS = {
  wall: '#2b3240',
  floor: '#f4f1ea',
  grid: '#e2ddd2',
  agent: '#1f77d0',
  trail: '#7fb2e6',
} as const;

export const OBJECT_COLORS: Record<ObjectKind, string> = {
  cheese: '#f2b400',
  coin: '#2ca02c',
  red_gem: '#d62728',
  blue_gem: '#8e44ad',
};

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
