import { expect } from 'vitest';
import { DeltascopeError, type ErrorCode } from '../../../src-main/shared/errors';
import { tensorMapFromTensors, type TensorMap } from '../../../src-main/weights/tensor-map';

/** Runs `fn`, expects a DeltascopeError with `code`, and returns it for message checks. */
export function expectError(fn: () => unknown, code: ErrorCode): DeltascopeError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a DeltascopeError to be thrown').toBeInstanceOf(DeltascopeError);
  const error = caught as DeltascopeError;
  expect(error.code, error.message).toBe(code);
  return error;
}

/** Awaits `promise`, expects it to reject with a DeltascopeError, and returns that error. */
export async function rejection(promise: Promise<unknown>): Promise<DeltascopeError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeltascopeError);
  return error as DeltascopeError;
}

/** A map from { name: [shape, values] }. */
export function mapOf(spec: Record<string, [number[], number[]]>): TensorMap {
  return tensorMapFromTensors(
    Object.entries(spec).map(([name, [shape, values]]) => ({ name, shape, data: Float32Array.from(values) })),
  );
}

/** Deterministic pseudo-random float32 values in [-scale, scale) (an LCG, independent of the code under test). */
export function noise(count: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

/** The arrays of a map, by name. */
export function arraysOf(map: TensorMap): Record<string, number[]> {
  return Object.fromEntries([...map.values()].map((t) => [t.name, [...t.data]]));
}
