import type { UnitBuckets } from './unitBuckets.ts';

export interface LifecycleActivity {
  /** Per unit, the bucket of its first-ever matching event (any index, ≤ each of its active buckets). */
  readonly first: Int32Array;
  /** Per unit, its active buckets; every one in [−1, buckets) must be listed, others are ignored. */
  readonly active: UnitBuckets;
}

export interface LifecycleCounts {
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

/**
 * For each bucket b in [0, buckets): new (first-ever activity in b), returning
 * (active in b − 1 too), resurrecting (not in b − 1 but some time before), and
 * dormant (active in b − 1, not in b), as a positive count.
 */
export function computeLifecycle(activity: LifecycleActivity, buckets: number): LifecycleCounts[] {
  const counts = Array.from({ length: buckets }, () => ({ new: 0, returning: 0, resurrecting: 0, dormant: 0 }));
  const { start, buckets: active } = activity.active;
  for (let u = 0; u < start.length - 1; u++) {
    const first = activity.first[u]!;
    const end = start[u + 1]!;
    for (let i = start[u]!; i < end; i++) {
      const b = active[i]!;
      if (b < -1 || b >= buckets) continue;
      const previous = i > start[u]! ? active[i - 1]! : Number.NEGATIVE_INFINITY;
      if (b >= 0) {
        // first ≤ b; first === b − 1 would make b − 1 active, so otherwise first < b − 1.
        if (first === b) counts[b]!.new++;
        else if (previous === b - 1) counts[b]!.returning++;
        else counts[b]!.resurrecting++;
      }
      const following = i + 1 < end ? active[i + 1]! : Number.POSITIVE_INFINITY;
      if (b + 1 < buckets && following !== b + 1) counts[b + 1]!.dormant++;
    }
  }
  return counts;
}
