import type { PrismaClient } from '../../../generated/prisma/client.ts';
import { HOUR_MS } from '../../../time.ts';
import type { RetentionInterval } from './input.ts';

/**
 * The buckets of an analysis: local days, weeks (from Monday) or months of a
 * time zone whose start lies in [from, to), as PostgreSQL's zone database
 * places them (days are 23 or 25 hours across DST). A `from` inside a bucket
 * skips that partial bucket, as PostHog's rounding to whole intervals would
 * count it otherwise; each bucket covers its whole length, even past `to`.
 */
export interface AnalysisBuckets {
  /** Buckets starting in [from, to). */
  count: number;
  /** Extra buckets listed before the first one. */
  before: number;
  /**
   * Boundaries in ms: bucket i (−before ≤ i < count + after) is
   * [bounds[i + before], bounds[i + before + 1]).
   */
  bounds: number[];
}

/** Reads the boundaries: `before` buckets ahead of the range's first, `after` beyond its last. */
export async function readBuckets(
  prisma: PrismaClient,
  interval: RetentionInterval,
  timezone: string,
  from: Date,
  to: Date,
  extra: { before: number; after: number },
): Promise<AnalysisBuckets> {
  const unit = interval.toLowerCase();
  const step = `1 ${unit}`;
  // Local calendar steps; enough on both sides that the slice below always has what it needs.
  const rows = await prisma.$queryRaw<{ b: Date }[]>`
    SELECT l AT TIME ZONE ${timezone} AS "b"
    FROM generate_series(
      date_trunc(${unit}, ${from}::timestamptz AT TIME ZONE ${timezone}) - ${extra.before}::int * ${step}::interval,
      date_trunc(${unit}, ${to}::timestamptz AT TIME ZONE ${timezone}) + ${extra.after + 2}::int * ${step}::interval,
      ${step}::interval) l
    ORDER BY 1`;
  return sliceBuckets(
    rows.map((r) => r.b.getTime()),
    from.getTime(),
    to.getTime(),
    extra,
  );
}

/** Pure part of readBuckets: keeps the starts in [from, to) with `before`/`after` neighbours and the closing bound. */
export function sliceBuckets(
  starts: readonly number[],
  from: number,
  to: number,
  extra: { before: number; after: number },
): AnalysisBuckets {
  const first = starts.findIndex((b) => b >= from);
  const end = starts.findIndex((b) => b >= to);
  if (first < extra.before || end < 0 || end + extra.after >= starts.length)
    throw new Error('bucket boundaries do not cover the range');
  return {
    count: end - first,
    before: extra.before,
    bounds: starts.slice(first - extra.before, end + extra.after + 1),
  };
}

/** Whether every boundary is a whole UTC hour, so hour-level activity places each event exactly. */
export const onWholeHours = (instants: readonly number[]): boolean => instants.every((t) => t % HOUR_MS === 0);

/** The bucket index (−before …) holding `t`; −before − 1 before the first bound, past the last: the last bucket + 1. */
export function bucketOf(buckets: AnalysisBuckets, t: number): number {
  const { bounds } = buckets;
  let lo = 0;
  let hi = bounds.length;
  // First bound > t.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1 - buckets.before;
}

/** Bucket index from PostgreSQL's width_bucket over the same bounds (0: before the first). */
export const fromWidthBucket = (buckets: AnalysisBuckets, b: number): number => b - 1 - buckets.before;
