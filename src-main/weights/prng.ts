/**
 * A small seeded PRNG for the weight tools (DARE masks, random directions). weights/ may not import
 * engine/, so it carries its own: mulberry32 for the stream, FNV-1a + a splitmix32 finaliser to
 * derive independent per-tensor seeds from (seed, name, index).
 */

export interface Rng {
  /** Next uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Next standard normal N(0, 1) (Box–Muller, the second value of each pair is cached). */
  gaussian(): number;
}

/** mulberry32 (Tommy Ettinger): state += 0x6D2B79F5, then a two-round xorshift-multiply mix → uint32. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniform/Gaussian stream over mulberry32(seed). */
export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  let spare: number | null = null;
  const uniform = (): number => next() / 4294967296;
  return {
    uniform,
    gaussian(): number {
      if (spare !== null) {
        const value = spare;
        spare = null;
        return value;
      }
      // z = √(−2 ln u₁)·cos(2πu₂), with u₁ ∈ (0, 1] so the log is finite.
      const u1 = 1 - uniform();
      const u2 = uniform();
      const radius = Math.sqrt(-2 * Math.log(u1));
      spare = radius * Math.sin(2 * Math.PI * u2);
      return radius * Math.cos(2 * Math.PI * u2);
    },
  };
}

/** FNV-1a over the UTF-16 code units of `text` → uint32. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** splitmix32 finaliser: a bijective avalanche of a uint32. */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/**
 * seed' = mix(… mix(mix(seed) ⊕ key₁) ⊕ key₂ …), strings hashed with FNV-1a. Gives each tensor (and
 * each input) its own stream, so results do not depend on the order tensors are visited in.
 */
export function deriveSeed(seed: number, ...keys: (string | number)[]): number {
  let state = mix32(seed >>> 0);
  for (const key of keys) {
    const k = typeof key === 'string' ? hashString(key) : key >>> 0;
    state = mix32((state ^ k) + 0x9e3779b9);
  }
  return state;
}
