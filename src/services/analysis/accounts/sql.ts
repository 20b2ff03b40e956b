import { Prisma } from '../../../generated/prisma/client.ts';
import { cohortMembersSql } from '../../cohorts/sql.ts';
import { eventFilterSql, propertyCondition } from '../filterSql.ts';
import type { EventFilter, PropertyFilter } from '../filter.ts';
import type { ActivitySource } from './source.ts';
import type { UnitChoice } from './input.ts';

// The SQL of the account-level analyses: which units did what, when. Every
// statement constrains "projectId" of each tenant table it reads.

/** Rows of a unit-by-bucket read: one per unit, its buckets `bs` as width_bucket gives them over the bounds. */
export interface UnitBucketsRow {
  unit: string;
  bs: number[];
}

export interface UnitFirstRow {
  unit: string;
  /** Its first matching event (EVENTS), or the start of its first active UTC hour (ACTIVITY). */
  first: Date;
}

export interface ActivityRead {
  source: ActivitySource;
  /** Events with one of these names only (EVENTS); null: any. */
  names: readonly string[] | null;
  filter: EventFilter;
  /** Read activity at or after this instant only (a pruning bound: outside ones fall in the edge buckets anyway). */
  since: Date | null;
  /** And before this instant only (the same kind of pruning bound). */
  until: Date | null;
}

const isoArray = (bounds: readonly number[]) => bounds.map((t) => new Date(t).toISOString());
const utcDay = (t: Date) => t.toISOString().slice(0, 10);

/**
 * `AND <column> IN (members)` when the question keeps only the units of a
 * cohort: one uncorrelated sub-select, so PostgreSQL evaluates the cohort once
 * per statement (a hashed subplan or a semi-join) whatever the rest reads.
 */
function inCohort(choice: UnitChoice, column: Prisma.Sql): Prisma.Sql {
  if (choice.cohortId == null) return Prisma.empty;
  // A cohortId nobody resolved is a bug, never silently ignored.
  if (!choice.cohort || choice.cohort.id !== choice.cohortId)
    throw new Error('cohortId of an analysis was not resolved before use');
  return Prisma.sql`AND ${column} IN (${cohortMembersSql(choice.cohort)})`;
}

/** `FROM "Event" "e"` with the units of each event as "u"."id" (its profile, or its groups of the type). */
function eventUnits(projectId: string, choice: UnitChoice): { from: Prisma.Sql; where: Prisma.Sql } {
  if (choice.unit === 'PROFILE') {
    return {
      from: Prisma.sql`"Event" "e" CROSS JOIN LATERAL (SELECT "e"."profileId" AS "id") "u"`,
      where: Prisma.sql`"e"."projectId" = ${projectId} AND "e"."profileId" IS NOT NULL
        ${inCohort(choice, Prisma.sql`"e"."profileId"`)}`,
    };
  }
  // The group's current type decides; placeholders (type null) and deleted groups have no row that matches.
  // A cohort keeps units, not events: an event of a member and a non-member group counts for the member only.
  return {
    from: Prisma.sql`"Event" "e"
      CROSS JOIN LATERAL (SELECT DISTINCT "x" AS "id" FROM unnest("e"."groupIds") "x") "u"
      JOIN "Group" "g" ON "g"."projectId" = ${projectId} AND "g"."id" = "u"."id" AND "g"."type" = ${choice.groupType}
        ${inCohort(choice, Prisma.sql`"g"."id"`)}`,
    where: Prisma.sql`"e"."projectId" = ${projectId}`,
  };
}

/** `FROM` the activity rows with "a"."unit", "a"."day", "a"."hours" (of the cohort's members only, if any). */
function activityUnits(projectId: string, choice: UnitChoice): Prisma.Sql {
  return choice.unit === 'PROFILE'
    ? Prisma.sql`(SELECT "profileId" AS "unit", "day", "hours" FROM "ProfileActivityDay"
        WHERE "projectId" = ${projectId} ${inCohort(choice, Prisma.sql`"profileId"`)}) "a"`
    : Prisma.sql`(SELECT "d"."groupId" AS "unit", "d"."day", "d"."hours" FROM "GroupActivityDay" "d"
        JOIN "Group" "g" ON "g"."projectId" = ${projectId} AND "g"."id" = "d"."groupId" AND "g"."type" = ${choice.groupType}
        WHERE "d"."projectId" = ${projectId} ${inCohort(choice, Prisma.sql`"d"."groupId"`)}) "a"`;
}

function eventConditions(projectId: string, read: ActivityRead): Prisma.Sql {
  const parts = [eventFilterSql(projectId, read.filter)];
  if (read.names) parts.push(Prisma.sql`"e"."name" = ANY(${[...read.names]}::text[])`);
  if (read.since) parts.push(Prisma.sql`"e"."createdAt" >= ${read.since}`);
  if (read.until) parts.push(Prisma.sql`"e"."createdAt" < ${read.until}`);
  return Prisma.join(parts, ' AND ');
}

/**
 * The buckets of each unit the activity `read` selects, one row per unit: a
 * unit's distinct buckets come back as one array rather than one row each,
 * since decoding rows costs far more than decoding array elements (per-profile
 * questions read hundreds of thousands of unit-bucket pairs).
 */
export function unitBucketsSql(
  projectId: string,
  choice: UnitChoice,
  read: ActivityRead,
  bounds: readonly number[],
): Prisma.Sql {
  return Prisma.sql`
    SELECT "unit", array_agg("b") AS "bs"
    FROM (${unitBucketPairsSql(projectId, choice, read, bounds)}) "pairs"
    GROUP BY 1`;
}

/**
 * How many units were active in exactly n of the buckets numbered `first` …
 * `last` by width_bucket (n ≥ 1): stickiness needs only this histogram, so the
 * database sums it and no unit leaves it.
 */
export function activeBucketsHistogramSql(
  projectId: string,
  choice: UnitChoice,
  read: ActivityRead,
  bounds: readonly number[],
  first: number,
  last: number,
): Prisma.Sql {
  return Prisma.sql`
    SELECT "n"::int AS "activeBuckets", count(*)::int AS "units"
    FROM (
      SELECT "unit", count(*) AS "n"
      FROM (${unitBucketPairsSql(projectId, choice, read, bounds)}) "pairs"
      WHERE "b" BETWEEN ${first} AND ${last}
      GROUP BY 1) "perUnit"
    GROUP BY 1`;
}

/** The distinct (unit, bucket) pairs of the activity `read` selects. */
function unitBucketPairsSql(
  projectId: string,
  choice: UnitChoice,
  read: ActivityRead,
  bounds: readonly number[],
): Prisma.Sql {
  // A sub-select: evaluated once (an InitPlan), where a bare cast of the text array,
  // a stable expression, would be recomputed for every row.
  const thresholds = Prisma.sql`(SELECT ${isoArray(bounds)}::text[]::timestamptz[])`;
  if (read.source === 'EVENTS') {
    const { from, where } = eventUnits(projectId, choice);
    return Prisma.sql`
      SELECT "u"."id" AS "unit", width_bucket("e"."createdAt", ${thresholds}) AS "b"
      FROM ${from}
      WHERE ${where} AND ${eventConditions(projectId, read)}
      GROUP BY 1, 2`;
  }
  // A UTC day inside one bucket needs no look at its hours; one that straddles a
  // bound is split into its active hours.
  const since = read.since ? Prisma.sql`"a"."day" >= ${utcDay(read.since)}::date` : Prisma.sql`TRUE`;
  const until = read.until ? Prisma.sql`"a"."day" <= ${utcDay(read.until)}::date` : Prisma.sql`TRUE`;
  return Prisma.sql`
    WITH "days" AS (
      SELECT "a"."unit", "a"."hours", "a"."day"::timestamp AT TIME ZONE 'UTC' AS "start",
             width_bucket("a"."day"::timestamp AT TIME ZONE 'UTC', ${thresholds}) AS "b0",
             width_bucket("a"."day"::timestamp AT TIME ZONE 'UTC' + interval '23 hours', ${thresholds}) AS "b1"
      FROM ${activityUnits(projectId, choice)}
      WHERE ${since} AND ${until})
    SELECT "unit", "b" FROM (
      SELECT "unit", "b0" AS "b" FROM "days" WHERE "b0" = "b1"
      UNION ALL
      SELECT "d"."unit", width_bucket("d"."start" + make_interval(hours => "h"), ${thresholds}) AS "b"
      FROM "days" "d" CROSS JOIN generate_series(0, 23) "h"
      WHERE "d"."b0" <> "d"."b1" AND ("d"."hours" >> "h") & 1 = 1) "x"
    GROUP BY 1, 2`;
}

/** Each unit's first matching activity of all time. */
export function unitFirstSql(projectId: string, choice: UnitChoice, read: ActivityRead): Prisma.Sql {
  if (read.source === 'EVENTS') {
    const { from, where } = eventUnits(projectId, choice);
    return Prisma.sql`
      SELECT "u"."id" AS "unit", min("e"."createdAt") AS "first"
      FROM ${from}
      WHERE ${where} AND ${eventConditions(projectId, read)}
      GROUP BY 1`;
  }
  // The lowest hour bit of the unit's first day.
  return Prisma.sql`
    SELECT DISTINCT ON ("a"."unit") "a"."unit",
      "a"."day"::timestamp AT TIME ZONE 'UTC'
        + make_interval(hours => (SELECT min("h") FROM generate_series(0, 23) "h" WHERE ("a"."hours" >> "h") & 1 = 1)) AS "first"
    FROM ${activityUnits(projectId, choice)}
    ORDER BY "a"."unit", "a"."day"`;
}

/** Per unit, its step events in [from, until), ascending by (time, id): times (ms), step masks, and optional values. */
export interface FunnelUnitRow {
  unit: string;
  times: number[];
  masks: number[];
  /** The event property of an EVENT_PROPERTY breakdown, per event. */
  values: (string | null)[] | null;
  /** The unit group's property of a GROUP_PROPERTY breakdown. */
  groupValue: string | null;
}

export interface FunnelRead {
  steps: readonly { name: string; properties: readonly PropertyFilter[] }[];
  filter: EventFilter;
  from: Date;
  /** Exclusive: no step happens at or after it. */
  until: Date;
  eventProperty: string | null;
  groupProperty: string | null;
}

export function funnelEventsSql(projectId: string, choice: UnitChoice, read: FunnelRead): Prisma.Sql {
  const { from, where } = eventUnits(projectId, choice);
  const names = [...new Set(read.steps.map((s) => s.name))];
  const mask = Prisma.join(
    read.steps.map((step, i) => {
      const conditions = [
        Prisma.sql`"e"."name" = ${step.name}`,
        ...step.properties.map((p) => propertyCondition(Prisma.sql`"e"."properties"`, p)),
      ];
      return Prisma.sql`CASE WHEN ${Prisma.join(conditions, ' AND ')} THEN ${1 << i}::int ELSE 0 END`;
    }),
    ' + ',
  );
  const order = Prisma.sql`ORDER BY "s"."t", "s"."id" COLLATE "C"`;
  const values = read.eventProperty ? Prisma.sql`array_agg("s"."value" ${order})` : Prisma.sql`NULL::text[]`;
  const groupValue =
    read.groupProperty && choice.unit === 'GROUP'
      ? Prisma.sql`min("g"."properties" ->> ${read.groupProperty})`
      : Prisma.sql`NULL::text`;
  const value = read.eventProperty ? Prisma.sql`"e"."properties" ->> ${read.eventProperty}` : Prisma.sql`NULL::text`;
  const groupJoin =
    choice.unit === 'GROUP'
      ? Prisma.sql`JOIN "Group" "g" ON "g"."projectId" = ${projectId} AND "g"."id" = "s"."unit"`
      : Prisma.sql``;
  return Prisma.sql`
    WITH "s" AS (
      SELECT "u"."id" AS "unit", "e"."id", "e"."createdAt" AS "t", (${mask}) AS "mask", ${value} AS "value"
      FROM ${from}
      WHERE ${where} AND "e"."name" = ANY(${names}::text[])
        AND "e"."createdAt" >= ${read.from} AND "e"."createdAt" < ${read.until}
        AND ${eventFilterSql(projectId, read.filter)})
    SELECT "s"."unit",
      array_agg((extract(epoch FROM "s"."t") * 1000)::float8 ${order}) AS "times",
      array_agg("s"."mask" ${order}) AS "masks",
      ${values} AS "values",
      ${groupValue} AS "groupValue"
    FROM "s" ${groupJoin}
    WHERE "s"."mask" <> 0
    GROUP BY "s"."unit"
    ORDER BY "s"."unit" COLLATE "C"`;
}
