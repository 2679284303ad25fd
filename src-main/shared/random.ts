import { DeltascopeError } from './errors';

/**
 * The one seeded pseudo-random number generator of Deltascope (training, evaluation, protocol
 * controls, DARE masks, random directions): xoshiro128** 1.1 (D. Blackman and S. Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021; reference C at https://prng.di.unimi.it/), a
 * 128-bit-state generator that passes BigCrush and PractRand, seeded from SplitMix64 as its authors
 * recommend. Everything here is deterministic: same seed and stream ⇒ same numbers on every platform.
 * It lives in shared/ (runtime-free) because both engine/ and weights/ draw from it and may import
 * only shared/ in common. DARE's masks are drawn in C when the addon is built: nextUint32 and float are
 * repeated step for step in native/blas/src/dare.c, fed this class's state (getState/setState)
 * and checked against it by tests/unit/weights/native-aggregate.test.ts — change both or neither.
 */

/** Plain-data generator state for checkpoint/resume: the four 32-bit words of xoshiro128**. */
export interface RngState {
  s: [number, number, number, number];
}

const MASK64 = (1n << 64n) - 1n;
const GOLDEN64 = 0x9e3779b97f4a7c15n;

/** SplitMix64 output function: z ↦ mix(z + γ) (Steele, Lea and Flood, OOPSLA 2014). */
export function splitMix64(state: bigint): { value: bigint; next: bigint } {
  const next = (state + GOLDEN64) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { value: z ^ (z >> 31n), next };
}

function checkSeed(seed: number, name: string): bigint {
  if (!Number.isSafeInteger(seed)) {
    throw new DeltascopeError('INVALID_SPEC', `${name} must be a safe integer; got ${String(seed)}`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** 64-bit seed of stream `streamId` of `seed`: splitmix(seed ⊕ splitmix(streamId)), so streams never share a SplitMix sequence start. */
export function deriveSeed64(seed: number, streamId: number): bigint {
  const base = checkSeed(seed, 'seed');
  const stream = checkSeed(streamId, 'streamId');
  return splitMix64(base ^ splitMix64(stream ^ 0x5851f42d4c957f2dn).value).value;
}

/** A xoshiro128** generator. Not thread-safe; one instance per stream. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(state: RngState) {
    this.setState(state);
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits: (a·2^26 + b) / 2^53 from the top bits of two draws. */
  float(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Unbiased integer in [0, n), n ≤ 2^32: reject x ≥ 2^32 − (2^32 mod n), then x mod n (as OpenBSD's arc4random_uniform). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new DeltascopeError('INVALID_SPEC', `Rng.int(n) needs an integer n in [1, 2^32]; got ${n}`);
    }
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal by Box–Muller: sqrt(−2 ln u1)·cos(2π u2), u1 ∈ (0, 1]; one value per call so the state stays four words. */
  normal(): number {
    const u1 = 1 - this.float();
    const u2 = this.float();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place (every permutation equally likely); returns the same array. */
  shuffle<T extends { length: number; [index: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  getState(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] };
  }

  setState(state: RngState): void {
    const words = state?.s;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    ) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        'RNG state must be { s: [four 32-bit unsigned integers] }',
      );
    }
    if (words.every((w) => w === 0)) {
      throw new DeltascopeError(
        'INVALID_PAYLOAD',
        'RNG state must not be all zero (xoshiro128** would stay at zero)',
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = [words[0] | 0, words[1] | 0, words[2] | 0, words[3] | 0];
  }
}

/** Generator for stream `streamId` (default 0) of `seed`: the four state words are two SplitMix64 outputs. */
export function createRng(seed: number, streamId = 0): Rng {
  const first = splitMix64(deriveSeed64(seed, streamId));
  const second = splitMix64(first.next);
  const words: RngState['s'] = [
    Number(first.value & 0xffffffffn),
    Number(first.value >> 32n),
    Number(second.value & 0xffffffffn),
    Number(second.value >> 32n),
  ];
  if (words.every((w) => w === 0)) words[0] = 1;
  return new Rng({ s: words });
}

/** A 31-bit integer seed for stream `streamId` of `seed`, for handing to another seeded component. */
export function deriveSeed(seed: number, streamId: number): number {
  return Number(deriveSeed64(seed, streamId) >> 33n);
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const SAFE_BITS = (1n << 53n) - 1n;

/**
 * Stream id named by keys (a tensor name, an input index…): FNV-1a 64 over the UTF-16 code units of
 * the keys joined by U+0000, cut to 53 bits. Gives each named thing its own stream of one seed, so a
 * result does not depend on the order things are visited in: `createRng(seed, streamIdOf(name, i))`.
 */
export function streamIdOf(...keys: (string | number)[]): number {
  const text = keys.map(String).join('\u0000');
  let hash = FNV64_OFFSET;
  for (let i = 0; i < text.length; i++) {
    hash = ((hash ^ BigInt(text.charCodeAt(i))) * FNV64_PRIME) & MASK64;
  }
  return Number(hash & SAFE_BITS);
}
