/**
 * Seeded randomness for the analyzer. Everything random in `analysis/` (forest
 * subsamples, split attributes and values) draws from a `RandomSource`, so a run
 * with the same seed and the same observations is bit-for-bit repeatable.
 */

/** Uniform numbers in [0, 1), like `Math.random`, but from an injected, seeded generator. */
export type RandomSource = () => number;

/**
 * Mulberry32: a 32-bit state generator with a full 2^32 period. Statistically far
 * more than enough for choosing subsamples and split points, and a few ns a draw.
 */
export function createRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes a base seed with a string (a tool key) and a counter into a new seed
 * (FNV-1a over the string, then a murmur-style finaliser), so every tool and every
 * retraining gets its own reproducible stream.
 */
export function deriveSeed(base: number, key: string, counter = 0): number {
  let h = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= counter;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
