import { describe, expect, it } from 'vitest';
import { createGridMaze } from '../../../src-main/engine/gridmaze';
import { GridMazeConfigSchema } from '../../../src-main/shared/gridmaze-config';
import { fitsObservation, observationLayout } from '../../../src-main/shared/observation-layout';

describe('observationLayout', () => {
  it('declares the planes the engine writes: wall, agent, then the kinds; egocentric 2S−1 with the agent centred', () => {
    const config = GridMazeConfigSchema.parse({
      size: 7,
      kinds: ['cheese', 'coin', 'red_gem', 'blue_gem'],
      view: 'egocentric',
    });
    const layout = observationLayout(config, { kind: 'mlp' });
    expect(layout).toMatchObject({
      channels: ['wall', 'agent', 'cheese', 'coin', 'red_gem', 'blue_gem'],
      height: 13,
      width: 13,
      agentCell: { x: 6, y: 6 },
    });
    const env = createGridMaze(config, [{ name: 'RA', collect: { cheese: 1 }, stepCost: 0, reach: {} }], {
      numEnvs: 1,
      seed: 3,
    });
    expect(env.obsShape).toEqual([6, 13, 13]);
    // The agent plane has its one-hot at the declared agent cell.
    const obs = env.reset();
    expect(obs[1 * 169 + 6 * 13 + 6]).toBe(1);
  });

  it('names the first layer of each network kind and checks its shape', () => {
    const config = GridMazeConfigSchema.parse({ size: 5 });
    const mlp = observationLayout(config, { kind: 'mlp' });
    expect(mlp.inputs).toEqual([{ tensor: 'torso.dense1.kernel', kind: 'dense-rows' }]);
    expect(fitsObservation(mlp, mlp.inputs[0]!, [100, 64])).toBe(true);
    expect(fitsObservation(mlp, mlp.inputs[0]!, [99, 64])).toBe(false);
    const cnn = observationLayout(config, { kind: 'cnn' });
    expect(fitsObservation(cnn, cnn.inputs[0]!, [3, 3, 4, 16])).toBe(true);
  });
});
