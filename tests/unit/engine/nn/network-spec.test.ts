import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../../src-main/engine/backend';
import { createGridMaze } from '../../../../src-main/engine/gridmaze';
import { countParams, createNetwork, networkSpecFor } from '../../../../src-main/engine/nn/network';
import { networkParamNames, TrainingSpecSchema } from '../../../../src-main/shared/training-spec';

/** networkSpecFor: the one place a training spec's net and an env become the network every job builds. */
describe('networkSpecFor', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("takes the env's observations and actions and the spec's layers, and builds the network the spec names", () => {
    for (const input of [
      { net: { kind: 'mlp', hidden: [8, 8] }, env: { size: 5, kinds: ['cheese', 'coin'] } },
      { net: { kind: 'cnn', channels: [4, 4], denseWidth: 8 }, env: { size: 7, view: 'egocentric' } },
    ]) {
      const spec = TrainingSpecSchema.parse(input);
      const env = createGridMaze(spec.env, spec.rewards, { numEnvs: 1, seed: 0 });
      const built = networkSpecFor(spec.net, env);
      expect(built).toMatchObject({
        kind: spec.net.kind,
        obsShape: env.obsShape,
        numActions: env.numActions,
        hidden: spec.net.hidden,
        channels: spec.net.channels,
        denseWidth: spec.net.denseWidth,
      });
      const network = createNetwork(built, 0);
      expect(network.params.map((p) => p.name)).toEqual(networkParamNames(spec.net));
      expect(network.paramCount()).toBe(countParams(built));
      network.dispose();
    }
  });
});
