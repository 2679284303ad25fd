import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/api';
import { computeRewardSimilarity } from '../../../src-main/api/protocol/protocol-similarity';
import { createWeightsHandlers } from '../../../src-main/api/weights/weights-handlers';
import { parseParams, type CallResult } from '../../../src-main/shared';
import { writeSafetensorsFromSource, type SourceTensor, type TensorSource } from '../../../src-main/weights';
import { useApiService } from '../../helpers/api-service';

/**
 * Calls whose work grows with their input run in the API's compute threads, not on the event loop:
 * an app.info sent just after a 200,000-sample reward similarity, a comparison of three 8M-parameter
 * deltas, checkpoint arithmetic on 8M-parameter checkpoints, the import or export of such a model,
 * or a hover that loads two such models is answered first (on the event loop it waited for the whole computation), and the results are the
 * ones computed inline.
 */

const SIDE = 2048;

/** Two 2048 × 2048 tensors of noise; model `k` adds k/64 to every (k+2)-th element. */
function model(k: number): TensorSource {
  const tensors: SourceTensor[] = ['layer.0.kernel', 'layer.1.kernel'].map((name) => ({
    name,
    shape: [SIDE, SIDE],
    dtype: 'F32',
    count: SIDE * SIDE,
  }));
  return {
    label: `model ${k}`,
    tensors,
    metadata: {},
    read(name, start, out) {
      const salt = name.endsWith('1.kernel') ? 0x51ed27 : 0;
      for (let i = 0; i < out.length; i++) {
        const j = start + i;
        const x = Math.imul((j + salt) ^ 0x9e3779b1, 0x85ebca6b);
        const u = ((Math.imul(x ^ (x >>> 13), 0xc2b2ae35) ^ (x >>> 16)) >>> 0) / 4294967296 - 0.5;
        out[i] = 0.05 * u + (k > 0 && j % (k + 2) === 0 ? k / 64 : 0);
      }
    },
    peakBytesHeld: () => 0,
    close: () => undefined,
  };
}

let files: string[] = [];
const api = useApiService('compute-calls', (dir) => {
  files = [0, 1, 2, 3].map((k) => {
    const path = join(dir, `model-${k}.safetensors`);
    writeSafetensorsFromSource(path, model(k));
    return path;
  });
  return { create: join(dir, 'calls.deltascope') };
});

/**
 * Dispatches the heavy call, then app.info on the next turn of the event loop: the order in which
 * they settle. On the event loop the heavy call's work runs to its end before that turn comes.
 */
async function settleOrder(method: string, params: unknown): Promise<{ order: string[]; heavy: CallResult }> {
  const order: string[] = [];
  const heavy = dispatch(api.service.handlers, method, params).then((result) => {
    order.push(method);
    return result;
  });
  const cheap = new Promise((resolve) => setTimeout(resolve, 0))
    .then(() => dispatch(api.service.handlers, 'app.info', {}))
    .then(() => order.push('app.info'));
  await Promise.all([heavy, cheap]);
  return { order, heavy: await heavy };
}

function resultOf(call: CallResult): unknown {
  if (!call.ok) throw new Error(`${call.error.code}: ${call.error.message}`);
  return call.result;
}

describe('calls that grow with their input, off the event loop', () => {
  it('rewards.similarity of 200,000 samples: app.info answers first; the result is the inline one', async () => {
    const params = {
      env: {
        size: 9,
        kinds: ['cheese', 'coin', 'red_gem'] as ('cheese' | 'coin' | 'red_gem')[],
        horizon: 64,
      },
      rewards: [
        { name: 'RA', collect: { cheese: 1 } },
        { name: 'coin', collect: { coin: 1 } },
        { name: 'gem', collect: { red_gem: 1 } },
        { name: 'more-cheese', collect: { cheese: 1, coin: 0.1 } },
      ],
      samples: 200_000,
      threshold: 0.3,
      seed: 3,
    };
    const { order, heavy } = await settleOrder('rewards.similarity', params);
    expect(order).toEqual(['app.info', 'rewards.similarity']);
    const { env, rewards, ...options } = parseParams('rewards.similarity', params);
    expect(resultOf(heavy)).toEqual(computeRewardSimilarity(env, rewards, options));
  }, 120_000);

  it('diff.compareMany of three 8M-parameter deltas: app.info answers first; the result is the inline one', async () => {
    const params = {
      base: { file: files[0]! },
      others: files.slice(1).map((file) => ({ file })),
      partial: false,
    };
    // Loads the models once (kept between calls), so what follows times the comparison alone.
    resultOf(await dispatch(api.service.handlers, 'diff.compareMany', params));
    const { order, heavy } = await settleOrder('diff.compareMany', params);
    expect(order).toEqual(['app.info', 'diff.compareMany']);
    const inline = createWeightsHandlers({ database: () => api.service.database(), emit: () => undefined });
    const expected = await inline['diff.compareMany'](params);
    expect(resultOf(heavy)).toEqual(expected);
    // Model k adds k/64 to every (k+2)-th element: deltas that overlap little, none of them zero.
    expect(expected.model.norms.every((norm) => norm > 0)).toBe(true);
    expect(expected.model.cosine[0]![0]).toBeCloseTo(1, 12);
  }, 120_000);
});

describe('checkpoint arithmetic, off the event loop', () => {
  it('weights.combine and weights.randomDirection: app.info answers first; they store the inline checkpoints', async () => {
    const ids: number[] = [];
    for (const path of files.slice(0, 2)) {
      const imported = resultOf(await dispatch(api.service.handlers, 'weights.import', { path })) as {
        checkpoint: { id: number };
      };
      ids.push(imported.checkpoint.id);
    }
    const [a, b] = ids as [number, number];
    const inline = createWeightsHandlers({ database: () => api.service.database(), emit: () => undefined });
    type Stored = { checkpoint: { id: number; sha256: string; paramCount: number } };

    const combine = {
      formula: 'A + 0.5*(B - A)',
      bindings: { checkpoints: { A: a, B: b }, scalars: {} },
      runName: 'halfway',
    };
    const combined = await settleOrder('weights.combine', combine);
    expect(combined.order).toEqual(['app.info', 'weights.combine']);
    const [point] = (resultOf(combined.heavy) as { results: Stored[] }).results;
    const [expected] = (await inline['weights.combine'](combine)).results;
    expect(point!.checkpoint.id).not.toBe(expected!.checkpoint.id);
    expect(point!.checkpoint.sha256).toBe(expected!.checkpoint.sha256);
    expect(point!.checkpoint.paramCount).toBe(2 * SIDE * SIDE);

    const random = { a, b, seed: 7, scale: 1, runName: 'random' };
    const directed = await settleOrder('weights.randomDirection', random);
    expect(directed.order).toEqual(['app.info', 'weights.randomDirection']);
    const stored = resultOf(directed.heavy) as Stored;
    expect(stored.checkpoint.sha256).toBe(
      (await inline['weights.randomDirection'](random)).checkpoint.sha256,
    );
    // Both were written through the thread's own connection and are read through the app's.
    expect(api.service.database().checkpoints.get(stored.checkpoint.id).sha256).toBe(
      stored.checkpoint.sha256,
    );
  }, 120_000);
});

describe('model files, off the event loop', () => {
  it('weights.import and weights.export of an 8M-parameter model: app.info answers first; the inline checkpoint and file', async () => {
    const path = files[3]!;
    const imported = await settleOrder('weights.import', { path });
    expect(imported.order).toEqual(['app.info', 'weights.import']);
    type Imported = { checkpoint: { id: number; sha256: string; paramCount: number } };
    const { checkpoint } = resultOf(imported.heavy) as Imported;
    const inline = createWeightsHandlers({ database: () => api.service.database(), emit: () => undefined });
    const again = await inline['weights.import']({ path, experiment: 'imported', reference: false });
    expect(again.checkpoint.id).not.toBe(checkpoint.id);
    expect(checkpoint.sha256).toBe(again.checkpoint.sha256);
    expect(checkpoint.paramCount).toBe(2 * SIDE * SIDE);

    const out = join(api.dir, 'exported.safetensors');
    const exported = await settleOrder('weights.export', { checkpointId: checkpoint.id, path: out });
    expect(exported.order).toEqual(['app.info', 'weights.export']);
    expect(resultOf(exported.heavy)).toMatchObject({ paths: [out], paramCount: 2 * SIDE * SIDE });
    const inlineOut = join(api.dir, 'exported-inline.safetensors');
    const params = {
      checkpointId: checkpoint.id,
      path: inlineOut,
      format: 'safetensors',
      overwrite: false,
    } as const;
    await inline['weights.export'](params);
    expect(readFileSync(out).equals(readFileSync(inlineOut))).toBe(true);
  }, 120_000);
});

describe('whole sources, read off the event loop', () => {
  it('a hover over two 8M-parameter files not read before: app.info answers first; the inline values', async () => {
    // Fresh copies: nothing of them is in the app's cache yet, so the hover loads both whole.
    const [a, b] = files.slice(0, 2).map((file, i) => {
      const copy = join(api.dir, `hovered-${i}.safetensors`);
      copyFileSync(file, copy);
      return { file: copy };
    }) as [{ file: string }, { file: string }];
    const params = { a, b, tensor: 'layer.1.kernel', row: 17, col: 1234 };
    const hover = await settleOrder('diff.cell', params);
    expect(hover.order).toEqual(['app.info', 'diff.cell']);
    const inline = createWeightsHandlers({ database: () => api.service.database(), emit: () => undefined });
    const expected = await inline['diff.cell'](params);
    expect(resultOf(hover.heavy)).toEqual(expected);
    expect(expected.flatIndex).toBe(17 * SIDE + 1234);
  }, 120_000);
});
