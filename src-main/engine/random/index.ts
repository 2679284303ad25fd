export { createRng, deriveSeed, deriveSeed64, Rng, splitMix64, type RngState } from './prng';
