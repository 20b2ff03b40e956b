import { Prisma, type PrismaClient } from '../../generated/prisma/client.ts';
import { requireId, requireIdList } from '../validation.ts';
import { BucketBoundaries } from './boundaries.ts';
import { maxDate, minDate, tileHours } from './plan.ts';
import {
  AGGREGATION_INTERVALS,
  checkBuckets,
  checkRange,
  defaultRange,
  oneOf,
  validateQuestion,
  type AggregationInterval,
} from './question.ts';
import { AggregationService } from './service.ts';
import { iso } from './sql.ts';

// The group page: Group.stats, Group.activity and Group.memberGrowth.

/** Group.stats: most event names a group's topEvents can list. */
export const MAX_TOP_EVENTS = 50;

export interface TimeRange {
  from?: Date | null;
  to?: Date | null;
}

export interface GroupStats {
  eventCount: number;
  uniqueProfiles: number;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
  topEvents: { name: string; count: number }[];
}

export interface GroupRangeInput {
  from?: Date | null;
  to?: Date | null;
  interval?: AggregationInterval | null;
  timezone?: string | null;
}

export interface ActivityPoint {
  bucket: Date;
  events: number;
  uniqueProfiles: number;
}

export interface MemberGrowthPoint {
  bucket: Date;
  /** Members at the end of the bucket (or at `to` for the last one). */
  members: number;
  /** Memberships opened in the bucket. */
  joined: number;
  /** Memberships ended in the bucket. */
  left: number;
}

export class GroupOverviewService {
  private readonly boundaries: BucketBoundaries;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly aggregation = new AggregationService(prisma),
  ) {
    this.boundaries = new BucketBoundaries(prisma);
  }

  /**
   * Group.stats for many groups in one statement, from the same storage as
   * eventAggregation (tileHours): the rollup hours of [from, to) from the
   * rollups of the sets containing each group, the edge hours from EventGroup;
   * first/last seen from EventGroup's (group, time) index. Missing bounds mean all time.
   */
  async stats(projectId: string, groupIds: readonly string[], range: TimeRange = {}): Promise<Map<string, GroupStats>> {
    const ids = requireIdList(groupIds, 'ids');
    const result = new Map<string, GroupStats>(
      ids.map((id) => [id, { eventCount: 0, uniqueProfiles: 0, firstSeenAt: null, lastSeenAt: null, topEvents: [] }]),
    );
    const from = range.from ?? null;
    const to = range.to ?? null;
    if (ids.length === 0 || (from && to && to.getTime() <= from.getTime())) return result;
    // Without inner cuts the edge hours are those at the ends: the part of [from, to) outside the rollup hours.
    const { rollupHours } = tileHours(from, to);
    const inRange = Prisma.sql`${from ? Prisma.sql`eg."createdAt" >= ${from}` : Prisma.sql`true`} AND ${to ? Prisma.sql`eg."createdAt" < ${to}` : Prisma.sql`true`}`;
    const wholeRange = rollupHours
      ? Prisma.sql`${rollupHours.from ? Prisma.sql`r."hour" >= ${rollupHours.from}` : Prisma.sql`true`} AND ${rollupHours.to ? Prisma.sql`r."hour" < ${rollupHours.to}` : Prisma.sql`true`}`
      : Prisma.sql`false`;
    const edges = rollupHours
      ? Prisma.sql`${inRange} AND (${rollupHours.from ? Prisma.sql`eg."createdAt" < ${rollupHours.from}` : Prisma.sql`false`}
          OR ${rollupHours.to ? Prisma.sql`eg."createdAt" >= ${rollupHours.to}` : Prisma.sql`false`})`
      : inRange;
    const rows = await this.prisma.$queryRaw<(GroupStats & { groupId: string })[]>`
      WITH ids AS (SELECT unnest(${ids}::text[]) AS "g"),
      sets AS (
        SELECT s."groupSet", i."g" FROM "GroupSet" s JOIN ids i ON i."g" = ANY(s."groupIds") WHERE s."projectId" = ${projectId}
      ),
      edge_events AS (
        SELECT eg."groupId" AS "g", eg."name", eg."profileId" FROM "EventGroup" eg
        WHERE eg."projectId" = ${projectId} AND eg."groupId" = ANY(${ids}::text[]) AND ${edges}
      ),
      names AS (
        SELECT x."g", x."name", sum(x."n")::int AS "n" FROM (
          SELECT sets."g", r."name", r."events" AS "n" FROM "RollupHourName" r JOIN sets ON sets."groupSet" = r."groupSet"
          WHERE r."projectId" = ${projectId} AND ${wholeRange}
          UNION ALL SELECT "g", "name", 1 FROM edge_events
        ) x GROUP BY 1, 2
      ),
      profiles AS (
        SELECT x."g", count(DISTINCT x."p")::int AS "n" FROM (
          SELECT sets."g", r."profileId" AS "p" FROM "RollupHourProfile" r JOIN sets ON sets."groupSet" = r."groupSet"
          WHERE r."projectId" = ${projectId} AND r."profileId" <> '' AND ${wholeRange}
          UNION ALL SELECT "g", "profileId" FROM edge_events WHERE "profileId" IS NOT NULL
        ) x GROUP BY 1
      ),
      ranked AS (
        SELECT "g", "name", "n", row_number() OVER (PARTITION BY "g" ORDER BY "n" DESC, "name" COLLATE "C") AS "rank" FROM names
      )
      SELECT i."g" AS "groupId",
        COALESCE((SELECT sum("n") FROM names WHERE names."g" = i."g"), 0)::int AS "eventCount",
        COALESCE((SELECT "n" FROM profiles WHERE profiles."g" = i."g"), 0)::int AS "uniqueProfiles",
        (SELECT min(eg."createdAt") FROM "EventGroup" eg WHERE eg."projectId" = ${projectId} AND eg."groupId" = i."g" AND ${inRange}) AS "firstSeenAt",
        (SELECT max(eg."createdAt") FROM "EventGroup" eg WHERE eg."projectId" = ${projectId} AND eg."groupId" = i."g" AND ${inRange}) AS "lastSeenAt",
        COALESCE((SELECT jsonb_agg(jsonb_build_object('name', "name", 'count', "n") ORDER BY "rank") FROM ranked
                  WHERE ranked."g" = i."g" AND "rank" <= ${MAX_TOP_EVENTS}), '[]'::jsonb) AS "topEvents"
      FROM ids i`;
    for (const { groupId, ...stats } of rows) result.set(groupId, stats);
    return result;
  }

  /** Events and unique profiles of one group per bucket (the group page's activity chart). */
  async activity(
    projectId: string,
    groupId: string,
    range: GroupRangeInput,
    now = new Date(),
  ): Promise<ActivityPoint[]> {
    requireId(groupId, 'id');
    const base = { ...range, interval: range.interval ?? 'DAY', filter: { groupIds: [groupId] } };
    const [events, profiles] = await Promise.all(
      (['EVENTS', 'UNIQUE_PROFILES'] as const).map(async (metric) =>
        this.aggregation.answer(projectId, validateQuestion({ ...base, metric }, '', now)),
      ),
    );
    const uniques = profiles!.series[0]!.points;
    return events!.series[0]!.points.map((p, i) => ({
      bucket: p.bucket,
      events: p.value,
      uniqueProfiles: uniques[i]!.value,
    }));
  }

  /** Members of one group over time, from membership history (joinedAt/leftAt rows). */
  async memberGrowth(
    projectId: string,
    groupId: string,
    range: GroupRangeInput,
    now = new Date(),
  ): Promise<MemberGrowthPoint[]> {
    requireId(groupId, 'id');
    const range30 = defaultRange(range, now);
    const { from, to } = checkRange(range30.from, range30.to, '');
    const interval = oneOf(range.interval ?? 'DAY', AGGREGATION_INTERVALS, 'interval')!;
    const timezone = range.timezone ?? 'UTC';
    checkBuckets(interval, from, to, 0, 'interval');
    await this.boundaries.checkTimezone(timezone, 'timezone');
    const starts = await this.boundaries.list(interval, timezone, from, to, 0);
    const ends = starts.slice(1);
    const labels = starts.slice(0, -1);
    // Each bucket is clipped to [from, to); members are counted at its end.
    const clippedStarts = labels.map((s) => maxDate(s, from));
    const clippedEnds = ends.map((e) => minDate(e, to));
    const rows = await this.prisma.$queryRaw<{ i: number; members: number; joined: number; left: number }[]>`
      WITH buckets AS (
        SELECT b."i"::int AS "i", b."start", b."end"
        FROM unnest(${iso(clippedStarts)}::timestamptz[], ${iso(clippedEnds)}::timestamptz[]) WITH ORDINALITY AS b("start", "end", "i")
      )
      SELECT b."i",
        count(DISTINCT m."profileId") FILTER (WHERE m."leftAt" IS NULL OR m."leftAt" >= b."end")::int AS "members",
        count(*) FILTER (WHERE m."joinedAt" >= b."start")::int AS "joined",
        (SELECT count(*) FROM "GroupMembership" l
          WHERE l."projectId" = ${projectId} AND l."groupId" = ${groupId}
            AND l."leftAt" >= b."start" AND l."leftAt" < b."end")::int AS "left"
      FROM buckets b
      LEFT JOIN "GroupMembership" m ON m."projectId" = ${projectId} AND m."groupId" = ${groupId} AND m."joinedAt" < b."end"
      GROUP BY b."i", b."start", b."end"
      ORDER BY b."i"`;
    return rows.map((r, i) => ({ bucket: labels[i]!, members: r.members, joined: r.joined, left: r.left }));
  }
}
