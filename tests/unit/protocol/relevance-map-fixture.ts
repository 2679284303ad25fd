import type { ReportRelevanceMap } from '../../../src-main/protocol';
import { observationLayout } from '../../../src-main/shared/observation-layout';

/** The egocentric 5 × 5 observation of a size-3 maze with kinds coin and gem: channels wall, agent, coin, red_gem. */
export const PLANTED_LAYOUT = observationLayout(
  { kinds: ['coin', 'red_gem'], size: 3, view: 'egocentric' },
  { kind: 'mlp' },
);

const UNITS = 8;

/**
 * A planted map: torso.dense1.kernel [100, 8] is zero except the row reading coin at cell (3, 1)
 * (every unit 0.5: Σ|m| = 4) and the row reading red_gem at cell (0, 0) (unit 2 is −1: Σ|m| = 1);
 * policy.kernel [8, 4] has m[i, j] = (i − j) / 8; torso.dense1.bias [8] is 1-D.
 */
export function plantedMap(seed = 1): ReportRelevanceMap {
  const { channels, height, width } = PLANTED_LAYOUT;
  const rows = channels.length * height * width;
  const first = new Float32Array(rows * UNITS);
  const row = (channel: number, x: number, y: number): number => channel * height * width + y * width + x;
  for (let j = 0; j < UNITS; j++) first[row(2, 3, 1) * UNITS + j] = 0.5;
  first[row(3, 0, 0) * UNITS + 2] = -1;
  const policy = new Float32Array(UNITS * 4);
  for (let i = 0; i < UNITS; i++) for (let j = 0; j < 4; j++) policy[i * 4 + j] = (i - j) / 8;
  return {
    seed,
    label: 'mean',
    artifactId: 226,
    layout: PLANTED_LAYOUT,
    tensors: [
      { name: 'torso.dense1.kernel', shape: [rows, UNITS], data: first },
      { name: 'torso.dense1.bias', shape: [UNITS], data: new Float32Array(UNITS).fill(0.1) },
      { name: 'policy.kernel', shape: [UNITS, 4], data: policy },
    ],
  };
}
