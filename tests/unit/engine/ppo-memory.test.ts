import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend';
import { countParams, createNetwork } from '../../../src-main/engine/nn/network';
import { estimatePpoMemory, observationSize } from '../../../src-main/engine/ppo-memory';
import { networkParamNames, TrainingSpecSchema } from '../../../src-main/shared/training-spec';

const spec = (input: Record<string, unknown> = {}) => TrainingSpecSchema.parse(input);

describe('estimatePpoMemory', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it("counts the network's parameters as network.ts builds them, for MLPs and CNNs", () => {
    for (const net of [
      { kind: 'mlp' },
      { kind: 'mlp', hidden: [64, 32, 16] },
      { kind: 'cnn' },
      { kind: 'cnn', channels: [8, 8, 8], denseWidth: 32 },
    ]) {
      for (const env of [{ size: 11 }, { size: 7, view: 'egocentric', kinds: ['cheese'] }]) {
        const s = spec({ net, env });
        const side = s.env.view === 'egocentric' ? 2 * s.env.size - 1 : s.env.size;
        const shape = {
          obsShape: [s.env.kinds.length + 2, side, side] as const,
          numActions: 4,
          ...s.net,
        };
        expect(estimatePpoMemory(s).paramCount).toBe(countParams(shape));
        expect(estimatePpoMemory(s).obsSize).toBe(observationSize(s.env));
      }
    }
    expect(observationSize(spec().env)).toBe(4 * 11 * 11);
  });

  it('names the parameters as network.ts does', () => {
    for (const net of [
      { kind: 'mlp', hidden: [8, 8, 8] },
      { kind: 'cnn', channels: [4, 4], denseWidth: 8 },
    ]) {
      const s = spec({ net });
      const built = createNetwork({ obsShape: [4, 11, 11], numActions: 4, ...s.net }, 1);
      expect(networkParamNames(s.net)).toEqual(built.params.map((p) => p.name));
      built.dispose();
    }
  });

  it('sizes the rollout buffers as ppo.ts allocates them: obs floats + 33 bytes per env step', () => {
    const s = spec({ ppo: { numEnvs: 4096, numSteps: 8000, numMinibatches: 32 }, totalSteps: 1e9 });
    const e = estimatePpoMemory(s);
    expect(e.batchRows).toBe(32_768_000);
    expect(e.rolloutBytes).toBe(32_768_000 * (484 * 4 + 33));
    expect(e.totalBytes).toBeGreaterThan(e.rolloutBytes);
    // the benchmark's default spec is small: a few hundred MB with the runtime
    const small = estimatePpoMemory(spec());
    expect(small.totalBytes).toBeGreaterThan(200 * 1024 ** 2);
    expect(small.totalBytes).toBeLessThan(600 * 1024 ** 2);
  });

  it('grows the minibatch part with fewer minibatches and the network part with width', () => {
    const base = estimatePpoMemory(spec({ ppo: { numMinibatches: 32 } }));
    const fewer = estimatePpoMemory(spec({ ppo: { numMinibatches: 4 } }));
    expect(fewer.minibatchBytes).toBeGreaterThan(base.minibatchBytes * 7);
    const wide = estimatePpoMemory(spec({ net: { hidden: [4096, 4096] } }));
    expect(wide.networkBytes).toBeGreaterThan(base.networkBytes * 50);
  });
});
