import { Prisma, type PrismaClient } from '../../generated/prisma/client.ts';
import { propertyAtSql } from '../propertyHistory.ts';

// propertiesAt EVENT_TIME: group properties as they were when each event
// happened (the rule is propertyAtSql's, in ../propertyHistory.ts).
//
// A group's value of a key changes only at recorded changes and, for values
// known from before history was recorded, at the group's createdAt. Between two
// such instants every group's values are fixed, so the planner splits the range
// there (Plan.epochs): each unit of the statement carries its period, rollup
// hours never straddle an instant (the hours one falls inside are read from the
// raw events), and the groups of a set are looked up once per set and period.

/**
 * The instants inside (rangeStart, rangeEnd) at which a value of one of `keys`
 * may change for some group of the project: recorded changes, and the createdAt
 * of groups with a value known from before history (a superset is harmless: it
 * only splits the range further).
 */
export async function propertyChangeInstants(
  prisma: PrismaClient,
  projectId: string,
  keys: string[],
  rangeStart: Date,
  rangeEnd: Date,
): Promise<Date[]> {
  const rows = await prisma.$queryRaw<{ at: Date }[]>`
    SELECT DISTINCT "changedAt" AS "at" FROM "GroupPropertyChange"
    WHERE "projectId" = ${projectId} AND "key" = ANY(${keys}::text[])
      AND "changedAt" > ${rangeStart} AND "changedAt" < ${rangeEnd}
    UNION
    SELECT g."createdAt" FROM "Group" g
    WHERE g."projectId" = ${projectId} AND g."createdAt" > ${rangeStart} AND g."createdAt" < ${rangeEnd}
      AND (g."properties" ?| ${keys}::text[] OR EXISTS (
        SELECT 1 FROM "GroupPropertyChange" h
        WHERE h."projectId" = ${projectId} AND h."groupId" = g."id" AND h."key" = ANY(${keys}::text[])
          AND h."previousValue" IS NOT NULL))
    ORDER BY 1`;
  return rows.map((r) => r.at);
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
