/** A seeded source of numbers in [0, 1): the same seed gives the same sequence. */
export type Random = () => number;

/**
 * mulberry32: a 32-bit generator of a few lines, fast and evenly spread enough
 * for demo data and randomised tests (never for secrets). Written here because
 * `Math.random` cannot be seeded and the generators of libraries we have (pure-rand,
 * under fast-check) are dev dependencies, while `groupgraph seed` runs without them.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of a non-empty list, each equally likely. */
export function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}
