import type { PrismaClient } from '../../../generated/prisma/client.ts';
import type { BucketBoundaries } from '../boundaries.ts';
import { computeLifecycle, type LifecycleCounts } from '../compute/lifecycle.ts';
import { computeRetention, type RetentionCohortCounts } from '../compute/retention.ts';
import { stickinessFromHistogram, type ActiveBucketsCount, type StickinessCounts } from '../compute/stickiness.ts';
import { packUnitBuckets } from '../compute/unitBuckets.ts';
import { firstRows, listsByUnit, runReads, UnitIndex } from './activity.ts';
import { bucketOf, onWholeHours, readBuckets, type AnalysisBuckets } from './buckets.ts';
import type { ActivityQuestion, BucketQuestion, RetentionQuestion } from './input.ts';
import { chooseSource } from './source.ts';
import { activeBucketsHistogramSql, unitBucketsSql, unitFirstSql, type ActivityRead } from './sql.ts';

// Retention, lifecycle and stickiness: read which units were active in which
// buckets (from the activity rows or the events, see source.ts), then count
// with the pure computations of ../compute.

export interface RetentionAnswer {
  cohorts: (RetentionCohortCounts & { start: Date })[];
  average: (number | null)[];
}

export interface LifecycleAnswer {
  buckets: (LifecycleCounts & { bucket: Date })[];
}

export type StickinessAnswer = StickinessCounts;

const at = (t: number | undefined) => (t === undefined ? null : new Date(t));

async function bucketsOf(
  prisma: PrismaClient,
  boundaries: BucketBoundaries,
  q: BucketQuestion,
  extra: { before: number; after: number },
): Promise<AnalysisBuckets> {
  await boundaries.checkTimezone(q.timezone, 'input.timezone');
  return readBuckets(prisma, q.interval, q.timezone, q.from, q.to, extra);
}

function read(
  q: BucketQuestion,
  names: readonly string[] | null,
  instants: readonly number[],
  range: { since: number | undefined; until: number | undefined },
): ActivityRead {
  return {
    source: chooseSource({ filter: q.filter, named: names != null, wholeHours: onWholeHours(instants) }),
    names,
    filter: q.filter,
    since: at(range.since),
    until: at(range.until),
  };
}

export async function answerStickiness(
  prisma: PrismaClient,
  boundaries: BucketBoundaries,
  projectId: string,
  q: ActivityQuestion,
): Promise<StickinessAnswer> {
  const buckets = await bucketsOf(prisma, boundaries, q, { before: 0, after: 0 });
  const { bounds } = buckets;
  const activity = read(q, q.eventNames, bounds, { since: bounds[0], until: bounds.at(-1) });
  // Buckets 0 … count − 1 are width_bucket's 1 … count (no bucket before the first here).
  const [rows] = await runReads(prisma, [activeBucketsHistogramSql(projectId, q, activity, bounds, 1, buckets.count)]);
  return stickinessFromHistogram(rows as ActiveBucketsCount[], buckets.count);
}

export async function answerLifecycle(
  prisma: PrismaClient,
  boundaries: BucketBoundaries,
  projectId: string,
  q: ActivityQuestion,
): Promise<LifecycleAnswer> {
  // One bucket before the first (was the unit active just before?), and all history before it (was it ever?).
  const buckets = await bucketsOf(prisma, boundaries, q, { before: 1, after: 0 });
  const { bounds } = buckets;
  const activity = read(q, q.eventNames, bounds, { since: undefined, until: bounds.at(-1) });
  const [rows] = await runReads(prisma, [unitBucketsSql(projectId, q, activity, bounds)]);
  const lists = listsByUnit(new UnitIndex(), buckets, rows!);
  // Bucket −2 stands for "any time before bucket −1": the first activity is there or in the first listed bucket.
  const first = Int32Array.from(lists, (list) => Math.max(-2, Math.min(...list)));
  const active = packUnitBuckets(lists.map((list) => list.filter((b) => b >= -1 && b < buckets.count)));
  const counts = computeLifecycle({ first, active }, buckets.count);
  return { buckets: counts.map((c, i) => ({ bucket: new Date(bounds[i + 1]!), ...c })) };
}

export async function answerRetention(
  prisma: PrismaClient,
  boundaries: BucketBoundaries,
  projectId: string,
  q: RetentionQuestion,
  now: Date,
): Promise<RetentionAnswer> {
  const buckets = await bucketsOf(prisma, boundaries, q, { before: 0, after: q.periods });
  const { bounds, count } = buckets;
  const startNames = q.startEvent == null ? null : [q.startEvent];
  const returnNames = q.returnEvent == null ? null : [q.returnEvent];
  // FIRST_TIME tests the first start event's instant against from/to, so those must be whole hours too for hour-level rows.
  const cohortRead =
    q.cohortType === 'FIRST_TIME'
      ? read(q, startNames, [...bounds, q.from.getTime(), q.to.getTime()], { since: undefined, until: undefined })
      : read(q, startNames, bounds, { since: bounds[0], until: bounds[count] });
  const returnRead = read(q, returnNames, bounds, { since: bounds[0], until: undefined });
  const [cohortRows, returnRows] = await runReads(prisma, [
    q.cohortType === 'FIRST_TIME'
      ? unitFirstSql(projectId, q, cohortRead)
      : unitBucketsSql(projectId, q, cohortRead, bounds),
    unitBucketsSql(projectId, q, returnRead, bounds),
  ]);
  const index = new UnitIndex();
  const cohortLists: number[][] = [];
  if (q.cohortType === 'FIRST_TIME') {
    const from = q.from.getTime();
    const to = q.to.getTime();
    for (const row of firstRows(cohortRows!)) {
      const t = new Date(row.first).getTime();
      const u = index.of(row.unit);
      cohortLists[u] = t >= from && t < to ? [bucketOf(buckets, t)] : [];
    }
  } else {
    listsByUnit(index, buckets, cohortRows!).forEach((list, u) => (cohortLists[u] = list));
  }
  const returnLists = listsByUnit(index, buckets, returnRows!);
  for (let u = 0; u < index.size; u++) cohortLists[u] ??= [];
  let endedBuckets = 0;
  while (endedBuckets + 1 < bounds.length && bounds[endedBuckets + 1]! <= now.getTime()) endedBuckets++;
  const result = computeRetention(
    { cohorts: packUnitBuckets(cohortLists), returns: packUnitBuckets(returnLists) },
    { cohorts: count, periods: q.periods, criteria: q.criteria, endedBuckets },
  );
  return {
    cohorts: result.cohorts.map((c, i) => ({ start: new Date(bounds[i]!), ...c })),
    average: result.average,
  };
}
