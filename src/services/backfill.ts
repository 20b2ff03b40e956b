import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import { ValidationError } from './errors.ts';
import { withDeadlockRetry } from './ingest.ts';
import { LIMITS, queryTime, requireId } from './validation.ts';

/**
 * Backfill: tags events stored before a membership was known with the group.
 * For each membership of the group (only the given profiles' when asked), the
 * member's events whose time lies in [max(joinedAt, from), min(leftAt, to)) get
 * the group in "Event"."groupIds", and every row derived from events moves with
 * them: the EventGroup index, the group set, the three hourly rollups (the
 * event leaves its old set's counts and joins the new set's) and the group's
 * daily activity. The result is what ingesting those events with the group
 * would have produced (the consistency checker says so in the tests).
 *
 * Each chunk of at most 10,000 events is one statement, so it commits whole:
 * a crash leaves finished chunks done and the rest untouched, and running the
 * same backfill again finishes the work. A tag is never removed, an event
 * already tagged is never touched (a repeat tags nothing), and an event that
 * already carries the most groups an event may have is left as it is.
 */

export const BACKFILL_CHUNK_MAX = 10_000;
/** At most this many profiles per call (the rest: another call, or none for every member). */
export const BACKFILL_PROFILES_MAX = 10_000;

export interface BackfillInput {
  groupId: string;
  profileIds?: readonly string[] | null;
  from?: Date | null;
  to?: Date | null;
}

export interface BackfillResult {
  /** Events this call tagged with the group. */
  taggedEvents: number;
  /** Distinct profiles whose events this call tagged. */
  profiles: number;
}

export interface BackfillOptions {
  /** Events per chunk (transaction), 1–10,000; default 10,000. */
  chunkSize?: number;
  /** Called after each committed chunk with the events tagged so far. */
  onChunk?: (taggedSoFar: number) => void;
}

interface ValidBackfill {
  groupId: string;
  profileIds: string[] | null;
  from: Date | null;
  to: Date | null;
}

function validate(input: BackfillInput): ValidBackfill {
  const groupId = requireId(input.groupId, 'input.groupId');
  let profileIds: string[] | null = null;
  if (input.profileIds != null) {
    if (input.profileIds.length > BACKFILL_PROFILES_MAX) {
      throw new ValidationError('input.profileIds', `at most ${BACKFILL_PROFILES_MAX} profiles per call`);
    }
    profileIds = [...new Set(input.profileIds.map((id, i) => requireId(id, `input.profileIds[${i}]`)))];
  }
  for (const field of ['from', 'to'] as const) {
    const value = input[field];
    queryTime(value, `input.${field}`);
  }
  const from = input.from ?? null;
  const to = input.to ?? null;
  if (from && to && from.getTime() >= to.getTime()) throw new ValidationError('input.to', 'must be after from');
  return { groupId, profileIds, from, to };
}

/**
 * The events a backfill would tag (alias `e`), not yet tagged: a condition on
 * "Event" e, scoped to the project, for the spans of the group's memberships.
 */
function pendingSql(projectId: string, b: ValidBackfill): Prisma.Sql {
  const profiles = b.profileIds ? Prisma.sql`AND m."profileId" = ANY(${b.profileIds}::text[])` : Prisma.empty;
  return Prisma.sql`
    e."projectId" = ${projectId}
    AND e."profileId" IN (
      SELECT m."profileId" FROM "GroupMembership" m
      WHERE m."projectId" = ${projectId} AND m."groupId" = ${b.groupId} ${profiles})
    AND EXISTS (
      SELECT 1 FROM "GroupMembership" m
      WHERE m."projectId" = ${projectId} AND m."groupId" = ${b.groupId} AND m."profileId" = e."profileId"
        AND e."createdAt" >= m."joinedAt" AND (m."leftAt" IS NULL OR e."createdAt" < m."leftAt"))
    ${b.from ? Prisma.sql`AND e."createdAt" >= ${b.from}` : Prisma.empty}
    ${b.to ? Prisma.sql`AND e."createdAt" < ${b.to}` : Prisma.empty}
    AND NOT (${b.groupId} = ANY(e."groupIds"))
    AND cardinality(e."groupIds") < ${LIMITS.groupsPerEvent}`;
}

/**
 * One chunk in one statement. The candidate events are locked in key order and
 * re-checked after the lock (FOR UPDATE re-evaluates the condition on the
 * latest version), so a concurrent backfill of the same group cannot tag an
 * event twice. The derived rows are then written in the same table order and
 * key order as the ingest statement, so backfill and ingestion of the same
 * profiles wait for each other instead of deadlocking (a deadlock that still
 * happens is retried, like ingest's).
 */
function chunkSql(projectId: string, b: ValidBackfill, afterProfile: string, size: number): Prisma.Sql {
  const g = b.groupId;
  return Prisma.sql`
    WITH candidates AS (
      SELECT e."id" FROM "Event" e
      WHERE ${pendingSql(projectId, b)} AND e."profileId" >= ${afterProfile}
      ORDER BY e."profileId", e."id"
      LIMIT ${size}
      FOR UPDATE OF e
    ),
    tagged AS (
      UPDATE "Event" e SET "groupIds" = array_append(e."groupIds", ${g}::text)
      FROM candidates c
      WHERE e."projectId" = ${projectId} AND e."id" = c."id"
      RETURNING e."id", e."name", e."profileId", e."createdAt", e."groupIds"
    ),
    event_groups AS (
      INSERT INTO "EventGroup" ("projectId", "groupId", "createdAt", "eventId", "name", "profileId")
      SELECT ${projectId}, ${g}, t."createdAt", t."id", t."name", t."profileId" FROM tagged t
      ORDER BY 3, 4
      ON CONFLICT DO NOTHING
    ),
    placeholder_group AS (
      INSERT INTO "Group" ("projectId", "id") SELECT ${projectId}, ${g} WHERE EXISTS (SELECT 1 FROM tagged)
      ON CONFLICT DO NOTHING
    ),
    moved AS (
      SELECT date_trunc('hour', t."createdAt", 'UTC') AS "hour", t."name", COALESCE(t."profileId", '') AS "profileId",
             old."groupSet" AS "oldSet", new."groupSet" AS "newSet", new."groupIds" AS "newIds"
      FROM tagged t
      CROSS JOIN LATERAL group_set(array_remove(t."groupIds", ${g}::text)) old
      CROSS JOIN LATERAL group_set(t."groupIds") new
    ),
    deltas AS (
      SELECT "hour", "oldSet" AS "groupSet", "name", "profileId", -1 AS "d" FROM moved
      UNION ALL
      SELECT "hour", "newSet", "name", "profileId", 1 FROM moved
    ),
    group_sets AS (
      INSERT INTO "GroupSet" ("projectId", "groupSet", "groupIds")
      SELECT DISTINCT ${projectId}, "newSet", "newIds" FROM moved ORDER BY 2
      ON CONFLICT DO NOTHING
    ),
    rollup_hour AS (
      INSERT INTO "RollupHour" ("projectId", "hour", "groupSet", "events")
      SELECT ${projectId}, "hour", "groupSet", sum("d") FROM deltas GROUP BY 2, 3 ORDER BY 2, 3
      ON CONFLICT ("projectId", "hour", "groupSet") DO UPDATE SET "events" = "RollupHour"."events" + EXCLUDED."events"
    ),
    rollup_hour_profile AS (
      INSERT INTO "RollupHourProfile" ("projectId", "hour", "groupSet", "profileId", "events")
      SELECT ${projectId}, "hour", "groupSet", "profileId", sum("d") FROM deltas GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
      ON CONFLICT ("projectId", "hour", "groupSet", "profileId") DO UPDATE SET "events" = "RollupHourProfile"."events" + EXCLUDED."events"
    ),
    rollup_hour_name AS (
      INSERT INTO "RollupHourName" ("projectId", "hour", "groupSet", "name", "events")
      SELECT ${projectId}, "hour", "groupSet", "name", sum("d") FROM deltas GROUP BY 2, 3, 4 ORDER BY 2, 3, 4
      ON CONFLICT ("projectId", "hour", "groupSet", "name") DO UPDATE SET "events" = "RollupHourName"."events" + EXCLUDED."events"
    ),
    group_activity_day AS (
      INSERT INTO "GroupActivityDay" ("projectId", "day", "groupId", "hours", "events")
      SELECT ${projectId}, ("hour" AT TIME ZONE 'UTC')::date, ${g},
             bit_or(1 << extract(hour FROM "hour" AT TIME ZONE 'UTC')::int), count(*)
      FROM moved GROUP BY 2 ORDER BY 2
      ON CONFLICT ("projectId", "day", "groupId") DO UPDATE
        SET "hours" = "GroupActivityDay"."hours" | EXCLUDED."hours", "events" = "GroupActivityDay"."events" + EXCLUDED."events"
    )
    SELECT (SELECT count(*) FROM tagged)::int AS "tagged",
           (SELECT max("profileId") FROM tagged) AS "lastProfile",
           COALESCE((SELECT array_agg(DISTINCT "profileId") FROM tagged), '{}') AS "profiles"`;
}

/** The statement of a backfill's first chunk (benchmarks explain it); validates like backfill. */
export function backfillChunkSql(projectId: string, input: BackfillInput, size: number): Prisma.Sql {
  return chunkSql(projectId, validate(input), '', size);
}

export class BackfillService {
  constructor(private readonly prisma: PrismaClient) {}

  /** How many events a backfill would tag now (for progress bars); validates like backfill. */
  async pending(projectId: string, input: BackfillInput): Promise<number> {
    const b = validate(input);
    const [row] = await this.prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS "n" FROM "Event" e WHERE ${pendingSql(projectId, b)}`;
    return row!.n;
  }

  /** Tags the membership spans' events with the group, chunk by chunk (see the top of this file). */
  async backfill(projectId: string, input: BackfillInput, options: BackfillOptions = {}): Promise<BackfillResult> {
    const b = validate(input);
    const size = options.chunkSize ?? BACKFILL_CHUNK_MAX;
    if (!Number.isInteger(size) || size < 1 || size > BACKFILL_CHUNK_MAX) {
      throw new ValidationError('chunkSize', `must be an integer between 1 and ${BACKFILL_CHUNK_MAX}`);
    }
    let tagged = 0;
    const profiles = new Set<string>();
    // Candidates come in profile order; tagged events drop out of the condition, so
    // each chunk starts at the last profile reached. A chunk that found fewer events
    // than it may take has taken every one left from there (rows that another
    // backfill tagged meanwhile are skipped after the lock and the next ones taken,
    // so only running out of candidates makes it short): the loop ends there, with
    // no further statement to find nothing.
    let afterProfile = '';
    for (;;) {
      const [row] = await withDeadlockRetry(() =>
        this.prisma.$queryRaw<{ tagged: number; lastProfile: string | null; profiles: string[] }[]>(
          chunkSql(projectId, b, afterProfile, size),
        ),
      );
      const chunk = row!;
      if (chunk.tagged === 0) break;
      tagged += chunk.tagged;
      for (const p of chunk.profiles) profiles.add(p);
      afterProfile = chunk.lastProfile!;
      options.onChunk?.(tagged);
      if (chunk.tagged < size) break;
    }
    return { taggedEvents: tagged, profiles: profiles.size };
  }
}
