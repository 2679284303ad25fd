import { describe, expect, it } from 'vitest';
import type { PpoState } from '../../../src-main/engine/ppo';
import { decodeResume, encodeResume } from '../../../src-main/jobs';

/** Float32 values whose bits a decimal round trip would not keep: subnormals, -0, NaN payloads, extremes. */
function awkwardFloats(n: number, seed: number): Float32Array {
  const bits = new Uint32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    bits[i] = x;
  }
  bits[0] = 0x80000000; // -0
  bits[1] = 0x00000001; // the smallest subnormal
  bits[2] = 0x7fc00123; // a NaN with a payload
  return new Float32Array(bits.buffer);
}

function sampleState(): PpoState {
  return {
    iteration: 7,
    globalStep: 448,
    weights: [
      { name: 'torso.dense1.kernel', shape: [3, 4], data: awkwardFloats(12, 1) },
      { name: 'torso.dense1.bias', shape: [4], data: awkwardFloats(4, 2) },
    ],
    optimizer: {
      step: 28,
      moments: [
        { name: 'torso.dense1.kernel', m: awkwardFloats(12, 3), v: awkwardFloats(12, 4) },
        { name: 'torso.dense1.bias', m: awkwardFloats(4, 5), v: awkwardFloats(4, 6) },
      ],
    },
    rng: { actions: { s: [1, 2, 3, 0xffffffff] }, minibatches: { s: [5, 6, 7, 8] } },
    env: { format: 'test-env', agent: [1, 2] },
    nextObs: awkwardFloats(10, 7),
    successes: { RA: [0, 1, 1], RB: [] },
  };
}

function bitsOf(data: Float32Array): number[] {
  // slice copies bytes (Float32Array.from would go through numbers and could canonicalise NaN payloads)
  return Array.from(new Uint32Array(data.slice().buffer));
}

/** Through the store's representation: JSON text for the resume state, an unaligned BLOB copy. */
function storeAndReload(state: PpoState, checkpointId = 12) {
  const encoded = encodeResume(state, 'wasm');
  const blob = new Uint8Array(encoded.optimizerState.byteLength + 1).subarray(1);
  blob.set(encoded.optimizerState);
  return decodeResume({
    checkpointId,
    tensors: new Map(encoded.tensors.map((t) => [t.name, { shape: t.shape, data: t.data }])),
    optimizerState: blob,
    resumeState: JSON.parse(JSON.stringify(encoded.resumeState)),
  });
}

describe('resume state', () => {
  it('round-trips a trainer state bit for bit through the checkpoint columns', () => {
    const state = sampleState();
    const { state: back, backend } = storeAndReload(state);
    expect(backend).toBe('wasm');
    expect(back.iteration).toBe(7);
    expect(back.globalStep).toBe(448);
    expect(back.rng).toEqual(state.rng);
    expect(back.env).toEqual(state.env);
    expect(back.successes).toEqual(state.successes);
    expect(back.optimizer.step).toBe(28);
    back.optimizer.moments.forEach((entry, i) => {
      expect(entry.name).toBe(state.optimizer.moments[i]!.name);
      expect(bitsOf(entry.m)).toEqual(bitsOf(state.optimizer.moments[i]!.m));
      expect(bitsOf(entry.v)).toEqual(bitsOf(state.optimizer.moments[i]!.v));
    });
    expect(bitsOf(back.nextObs)).toEqual(bitsOf(state.nextObs));
    back.weights.forEach((w, i) => {
      expect(w.shape).toEqual(state.weights[i]!.shape);
      expect(bitsOf(w.data)).toEqual(bitsOf(state.weights[i]!.data));
    });
  });

  it('refuses a checkpoint without resume state, naming it', () => {
    expect(() =>
      decodeResume({ checkpointId: 5, tensors: new Map(), optimizerState: null, resumeState: null }),
    ).toThrow(/checkpoint 5 has no resume state/);
  });

  it('refuses optimizer bytes that do not match the described layout', () => {
    const encoded = encodeResume(sampleState(), 'cpu');
    const short = encoded.optimizerState.subarray(0, encoded.optimizerState.byteLength - 4);
    expect(() =>
      decodeResume({
        checkpointId: 9,
        tensors: new Map(),
        optimizerState: short,
        resumeState: encoded.resumeState,
      }),
    ).toThrow(/checkpoint 9: the optimizer state holds \d+ bytes; its resume state describes \d+/);
  });
});
