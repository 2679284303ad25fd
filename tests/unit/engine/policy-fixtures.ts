import { createGridMaze, type GridMazeLayout } from '../../../src-main/engine/gridmaze';
import { createNetwork, type PolicyNetwork } from '../../../src-main/engine/nn/network';
import type { RewardSpec } from '../../../src-main/shared/reward';

/** Rewards of the benchmark env (kinds cheese, coin): RA on cheese, coin on coin. */
export const REWARDS: RewardSpec[] = [
  { name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} },
  { name: 'coin', collect: { coin: 1 }, stepCost: 0, reach: {} },
];

/**
 * A real MLP whose policy head ignores the observation: policy kernel 0, bias = `logits`; value kernel
 * 0, bias = `value`. Its π is softmax(logits) and V = value in every state.
 */
export function fixedLogitNetwork(
  obsShape: readonly [number, number, number],
  logits: readonly number[],
  value = 0,
): PolicyNetwork {
  const net = createNetwork({ kind: 'mlp', obsShape, numActions: 4, hidden: [32, 32] }, 3);
  const weights = net.exportWeights().map((w) => {
    if (w.name === 'policy.kernel' || w.name === 'value.kernel')
      return { ...w, data: new Float32Array(w.data.length) };
    if (w.name === 'policy.bias') return { ...w, data: Float32Array.from(logits) };
    if (w.name === 'value.bias') return { ...w, data: Float32Array.of(value) };
    return w;
  });
  net.importWeights(weights);
  return net;
}

export function obsShapeOf(config: Parameters<typeof createGridMaze>[0]): readonly [number, number, number] {
  return createGridMaze(config, REWARDS, { numEnvs: 1, seed: 0 }).obsShape;
}

/** Step (1-based) at which an agent that always moves right reaches an object on its row before a wall, per kind. */
export function alwaysRightCollections(layout: GridMazeLayout): Record<string, number> {
  const { size, walls, agent } = layout;
  const hits: Record<string, number> = {};
  for (let col = agent.col + 1, step = 1; walls[agent.row * size + col] === 0; col++, step++) {
    for (const object of layout.objects)
      if (object.row === agent.row && object.col === col) hits[object.kind] = step;
  }
  return hits;
}
