import { z } from 'zod';
import type { GridMazeConfig } from './gridmaze-config';
import type { NetSpec } from './training-spec';

/**
 * The one declaration of what a gridmaze observation is: one-hot planes [wall, agent, kind_1 … kind_K],
 * channel-major, row-major within a plane. Global view: S × S; egocentric: (2S−1) × (2S−1) with the
 * agent at window cell (S−1, S−1). The engine's observation writers and obsShape follow it, and the
 * renderer folds first-layer weights back into it (CheckpointSide.observation), so neither re-derives it.
 */

/** The planes before the object kinds, in order. */
export const OBSERVATION_FIXED_CHANNELS = ['wall', 'agent'] as const;

/** Channel names in plane order, height and width of one observation. */
export function observationShape(env: Pick<GridMazeConfig, 'kinds' | 'size' | 'view'>): {
  channels: string[];
  height: number;
  width: number;
} {
  const side = env.view === 'egocentric' ? 2 * env.size - 1 : env.size;
  return { channels: [...OBSERVATION_FIXED_CHANNELS, ...env.kinds], height: side, width: side };
}

export const ObservationInputSchema = z.object({
  /** A tensor whose input axis indexes the observation, e.g. "torso.dense1.kernel". */
  tensor: z.string(),
  /**
   * 'dense-rows': a dense kernel [C·H·W, out] whose row c·H·W + y·W + x reads channel c at cell (x, y);
   * 'conv-input-channels': a conv kernel [kh, kw, C, out] whose axis 2 is the channel.
   */
  kind: z.enum(['dense-rows', 'conv-input-channels']),
});
export type ObservationInput = z.output<typeof ObservationInputSchema>;

export const ObservationLayoutSchema = z.object({
  view: z.enum(['global', 'egocentric']),
  /** Channel names in plane order ("wall", "agent", then the object kinds). */
  channels: z.array(z.string()).min(1),
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  /** The agent's cell in an egocentric window (x = column, y = row); null for the global view. */
  agentCell: z.object({ x: z.number().int(), y: z.number().int() }).nullable(),
  /** The network's tensors whose inputs are this observation (the first layer). */
  inputs: z.array(ObservationInputSchema),
});
export type ObservationLayout = z.output<typeof ObservationLayoutSchema>;

/** The observation of a run's env and the first layer of its network that reads it. */
export function observationLayout(
  env: Pick<GridMazeConfig, 'kinds' | 'size' | 'view'>,
  net: Pick<NetSpec, 'kind'>,
): ObservationLayout {
  const { channels, height, width } = observationShape(env);
  const agentCell = env.view === 'egocentric' ? { x: env.size - 1, y: env.size - 1 } : null;
  const inputs: ObservationInput[] =
    net.kind === 'mlp'
      ? [{ tensor: 'torso.dense1.kernel', kind: 'dense-rows' }]
      : [{ tensor: 'torso.conv1.kernel', kind: 'conv-input-channels' }];
  return { view: env.view, channels, height, width, agentCell, inputs };
}

/** Whether a tensor's shape fits `input` of `layout` (a stored checkpoint may not match its run's config). */
export function fitsObservation(
  layout: ObservationLayout,
  input: ObservationInput,
  shape: readonly number[],
): boolean {
  const channels = layout.channels.length;
  if (input.kind === 'dense-rows')
    return shape.length === 2 && shape[0] === channels * layout.height * layout.width;
  return shape.length === 4 && shape[2] === channels;
}
