/**
 * Per-unit activity as bucket indexes, in compressed sparse rows: unit u's
 * buckets are `buckets[start[u] .. start[u + 1])`, ascending and distinct.
 * Bucket 0 is the first bucket of the question; earlier buckets are negative.
 * A unit is whatever the caller numbers 0 … units − 1 (a group or a profile).
 */
export interface UnitBuckets {
  /** units + 1 offsets into `buckets`. */
  readonly start: Int32Array;
  readonly buckets: Int32Array;
}

/** Packs per-unit bucket lists (any order, repeats allowed) into ascending, distinct rows. */
export function packUnitBuckets(lists: readonly (readonly number[])[]): UnitBuckets {
  const start = new Int32Array(lists.length + 1);
  const rows = lists.map((list) => [...new Set(list)].sort((a, b) => a - b));
  rows.forEach((row, u) => (start[u + 1] = start[u]! + row.length));
  const buckets = new Int32Array(start[lists.length]!);
  rows.forEach((row, u) => buckets.set(row, start[u]!));
  return { start, buckets };
}
