import type { UnitBuckets } from './unitBuckets.ts';

export interface StickinessCounts {
  intervals: number;
  /** counts[i]: units active in exactly i + 1 buckets (units never active are not counted). */
  counts: number[];
}

/** `active`: per unit, its active buckets (ascending, distinct); those outside [0, buckets) are ignored. */
export function computeStickiness(active: UnitBuckets, buckets: number): StickinessCounts {
  const counts = new Array<number>(buckets).fill(0);
  for (let u = 0; u < active.start.length - 1; u++) {
    let activeBuckets = 0;
    for (let i = active.start[u]!; i < active.start[u + 1]!; i++) {
      const b = active.buckets[i]!;
      if (b >= 0 && b < buckets) activeBuckets++;
    }
    if (activeBuckets > 0) counts[activeBuckets - 1]!++;
  }
  return { intervals: buckets, counts };
}
