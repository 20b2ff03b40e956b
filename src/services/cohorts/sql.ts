import { Prisma } from '../../generated/prisma/client.ts';
import { DAY_MS } from '../../time.ts';
import { eventFilterSql, propertyCondition } from '../analysis/filterSql.ts';
import type { CohortDefinition, CohortRule } from './definition.ts';

// The SQL of a cohort: one uncorrelated SELECT of the member ids, evaluated
// against the data as it is when the statement runs. Anything that needs "units
// in this cohort" embeds it (`x IN (members)`), so PostgreSQL evaluates it once
// per statement (a hashed subplan) whatever the outer query does.

/** A cohort ready to evaluate: its definition and the instant its `lastDays` windows end at. */
export interface ResolvedCohort {
  /** The project the cohort belongs to: every table the SQL reads is constrained to it. */
  projectId: string;
  id: string;
  definition: CohortDefinition;
  now: Date;
}

/**
 * The events of one `performed` rule counted per unit, as a derived table (id, n).
 * Events are read through the (projectId, name, createdAt) index, which carries
 * each event's profile and groups, so without property filters no event row is read.
 */
function performedCounts(cohort: ResolvedCohort, rule: Extract<CohortRule, { performed: unknown }>) {
  const p = rule.performed;
  const projectId = cohort.projectId;
  const since = new Date(cohort.now.getTime() - p.lastDays * DAY_MS);
  const where = Prisma.sql`ce."projectId" = ${projectId} AND ce."name" = ${p.eventName} AND ce."createdAt" >= ${since}
    ${p.properties.length ? Prisma.sql`AND ${eventFilterSql(projectId, { properties: p.properties }, 'ce')}` : Prisma.empty}`;
  return cohort.definition.unit === 'GROUP'
    ? Prisma.sql`SELECT cg AS "id", count(*)::int AS "n" FROM "Event" ce CROSS JOIN LATERAL unnest(ce."groupIds") cg
        WHERE ${where} GROUP BY 1`
    : Prisma.sql`SELECT ce."profileId" AS "id", count(*)::int AS "n" FROM "Event" ce
        WHERE ${where} AND ce."profileId" IS NOT NULL GROUP BY 1`;
}

const between = (value: Prisma.Sql, min: number | null, max: number | null): Prisma.Sql => {
  const parts: Prisma.Sql[] = [];
  if (min != null) parts.push(Prisma.sql`${value} >= ${min}`);
  if (max != null) parts.push(Prisma.sql`${value} <= ${max}`);
  return parts.length ? Prisma.sql`(${Prisma.join(parts, ' AND ')})` : Prisma.sql`TRUE`;
};

/**
 * `SELECT "id"` of the cohort's members: groups of its type, or profiles, of the
 * project (placeholders and deleted groups have no type and are never members).
 * Each rule is a condition that is never NULL, so `negate` is a plain NOT.
 */
export function cohortMembersSql(cohort: ResolvedCohort): Prisma.Sql {
  const { projectId, definition: def } = cohort;
  const joins: Prisma.Sql[] = [];
  const conditions = def.rules.map((rule, i) => {
    let condition: Prisma.Sql;
    if ('property' in rule) {
      condition = Prisma.sql`(${propertyCondition(Prisma.sql`cu."properties"`, rule.property)}) IS TRUE`;
    } else if ('performed' in rule) {
      const alias = Prisma.raw(`"cp${i}"`);
      joins.push(Prisma.sql`LEFT JOIN (${performedCounts(cohort, rule)}) ${alias} ON ${alias}."id" = cu."id"`);
      condition = between(Prisma.sql`COALESCE(${alias}."n", 0)`, rule.performed.minCount, rule.performed.maxCount);
    } else {
      const alias = Prisma.raw(`"cm${i}"`);
      joins.push(Prisma.sql`LEFT JOIN (
        SELECT m."groupId" AS "id", count(*)::int AS "n" FROM "GroupMembership" m
        WHERE m."projectId" = ${projectId} AND m."leftAt" IS NULL GROUP BY 1) ${alias} ON ${alias}."id" = cu."id"`);
      condition = between(Prisma.sql`COALESCE(${alias}."n", 0)`, rule.memberCount.min, rule.memberCount.max);
    }
    return rule.negate ? Prisma.sql`NOT (${condition})` : Prisma.sql`(${condition})`;
  });
  const combined = Prisma.join(conditions, def.match === 'ALL' ? ' AND ' : ' OR ');
  const joined = joins.length ? Prisma.join(joins, ' ') : Prisma.empty;
  const units =
    def.unit === 'GROUP'
      ? Prisma.sql`"Group" cu ${joined} WHERE cu."projectId" = ${projectId} AND cu."type" = ${def.groupType}`
      : Prisma.sql`"Profile" cu ${joined} WHERE cu."projectId" = ${projectId}`;
  return Prisma.sql`SELECT cu."id" FROM ${units} AND (${combined})`;
}

/**
 * A condition on an events table aliased `e`: the event belongs to a member —
 * for a cohort of groups, it is tagged with a member group; for a cohort of
 * profiles, its profile is a member.
 */
export function cohortEventCondition(cohort: ResolvedCohort, e = 'e'): Prisma.Sql {
  const alias = Prisma.raw(`"${e}"`);
  const members = cohortMembersSql(cohort);
  return cohort.definition.unit === 'GROUP'
    ? Prisma.sql`EXISTS (SELECT 1 FROM unnest(${alias}."groupIds") cgid WHERE cgid IN (${members}))`
    : Prisma.sql`${alias}."profileId" IN (${members})`;
}
