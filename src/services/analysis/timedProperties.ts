import { Prisma } from '../../generated/prisma/client.ts';
import { propertyAtSql } from '../propertyHistory.ts';

// propertiesAt EVENT_TIME: group properties as they were when each event
// happened (the rule is propertyAtSql's, in ../propertyHistory.ts).
//
// A group's value of a key changes only at recorded changes and, for values
// known from before history was recorded, at the group's createdAt: its
// "bounds". Between two bounds of its groups, a group set's values are fixed.
// So instead of looking the values up per event, the statement gives each unit
// the start of its period (`ep`) and looks the groups of a set up once per
// period (group_at in sql.ts):
// - a rollup row of set s in hour h: the latest bound of s's groups at or
//   before h (else the range start). An hour that one of s's bounds falls
//   strictly inside is not read from the rollup; those events come from the raw
//   events instead (found through the EventGroup index of the groups whose bound
//   lies inside the hour), so each rollup row lies in one period of its set;
// - a raw event: the latest bound of any group at or before its time (a finer
//   split than its own set needs, which is harmless; raw events are few except
//   on the paths that read every event, which then look values up per set and
//   period of the whole project's bounds, as few as the changes in the range).

/**
 * Three CTEs (comma-separated, none after the last) giving the periods of the
 * range [rangeStart, rangeEnd):
 * - timed_bounds ("gid", "at"): bounds strictly inside the range (a superset is
 *   harmless: it only splits periods further);
 * - timed_set_bounds ("gs", "ats", "cut"): per group set with such a bound, its
 *   groups' bounds, ascending (for width_bucket), and the hours one of them
 *   falls strictly inside (NULL: none);
 * - timed_epochs ("ats"): every bound, ascending (one row).
 */
export function timedBoundsCtes(projectId: string, keys: string[], rangeStart: Date, rangeEnd: Date): Prisma.Sql {
  return Prisma.sql`
    timed_bounds AS MATERIALIZED (
      SELECT h."groupId" AS "gid", h."changedAt" AS "at" FROM "GroupPropertyChange" h
      WHERE h."projectId" = ${projectId} AND h."key" = ANY(${keys}::text[])
        AND h."changedAt" > ${rangeStart} AND h."changedAt" < ${rangeEnd}
      UNION
      SELECT g."id", g."createdAt" FROM "Group" g
      WHERE g."projectId" = ${projectId} AND g."createdAt" > ${rangeStart} AND g."createdAt" < ${rangeEnd}
        AND (g."properties" ?| ${keys}::text[] OR EXISTS (
          SELECT 1 FROM "GroupPropertyChange" h
          WHERE h."projectId" = ${projectId} AND h."groupId" = g."id" AND h."key" = ANY(${keys}::text[])
            AND h."previousValue" IS NOT NULL))
    ),
    timed_set_bounds AS MATERIALIZED (
      SELECT s."groupSet" AS "gs", array_agg(DISTINCT b."at" ORDER BY b."at") AS "ats",
             array_agg(DISTINCT date_trunc('hour', b."at", 'UTC')) FILTER (WHERE b."at" <> date_trunc('hour', b."at", 'UTC')) AS "cut"
      FROM "GroupSet" s CROSS JOIN LATERAL unnest(s."groupIds") AS sg("id")
      JOIN timed_bounds b ON b."gid" = sg."id"
      WHERE s."projectId" = ${projectId} AND s."groupIds" && ARRAY(SELECT DISTINCT "gid" FROM timed_bounds)
      GROUP BY 1
    ),
    timed_epochs AS (
      SELECT COALESCE(array_agg(DISTINCT "at" ORDER BY "at"), '{}') AS "ats" FROM timed_bounds
    )`;
}

/**
 * The start of the period of instant `at` in the ascending bounds `ats` (a
 * timestamptz[] expression): the latest bound at or before it, else the range start.
 */
export function periodStartSql(ats: Prisma.Sql, at: Prisma.Sql, rangeStart: Date): Prisma.Sql {
  return Prisma.sql`COALESCE((${ats})[width_bucket(${at}, ${ats})], ${rangeStart}::timestamptz)`;
}

/**
 * A jsonb object of the `keys` the group row `grp` had at instant `at` (absent
 * keys left out), standing in for its "properties" in group conditions and
 * property breakdowns.
 */
export function propertiesAtSql(projectId: string, grp: string, keys: string[], at: Prisma.Sql): Prisma.Sql {
  const value = propertyAtSql(projectId, grp, Prisma.sql`k."key"`, at);
  return Prisma.sql`(
    SELECT COALESCE(jsonb_object_agg(k."key", v."value"), '{}'::jsonb)
    FROM unnest(${keys}::text[]) AS k("key") CROSS JOIN LATERAL (SELECT ${value} AS "value") v
    WHERE v."value" IS NOT NULL)`;
}
