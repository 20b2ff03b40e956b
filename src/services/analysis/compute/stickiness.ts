import type { UnitBuckets } from './unitBuckets.ts';

export interface StickinessCounts {
  intervals: number;
  /** counts[i]: units active in exactly i + 1 buckets (units never active are not counted). */
  counts: number[];
}

/** How many units were active in exactly `activeBuckets` of the buckets (≥ 1). */
export interface ActiveBucketsCount {
  activeBuckets: number;
  units: number;
}

/** `active`: per unit, its active buckets (ascending, distinct); those outside [0, buckets) are ignored. */
export function computeStickiness(active: UnitBuckets, buckets: number): StickinessCounts {
  const histogram = new Map<number, number>();
  for (let u = 0; u < active.start.length - 1; u++) {
    let activeBuckets = 0;
    for (let i = active.start[u]!; i < active.start[u + 1]!; i++) {
      const b = active.buckets[i]!;
      if (b >= 0 && b < buckets) activeBuckets++;
    }
    if (activeBuckets > 0) histogram.set(activeBuckets, (histogram.get(activeBuckets) ?? 0) + 1);
  }
  return stickinessFromHistogram(
    [...histogram].map(([activeBuckets, units]) => ({ activeBuckets, units })),
    buckets,
  );
}

/** The same counts from a histogram of active buckets per unit, as the database sums it. */
export function stickinessFromHistogram(histogram: readonly ActiveBucketsCount[], buckets: number): StickinessCounts {
  const counts = new Array<number>(buckets).fill(0);
  for (const { activeBuckets, units } of histogram) counts[activeBuckets - 1]! += units;
  return { intervals: buckets, counts };
}
